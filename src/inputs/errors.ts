// A bad outside-input source (a flag's value, a log file's line): the user's to fix, so one line
// and exit 2 (src/cli/errors.ts knows this class by name).
export class InputSourceError extends Error {
  override readonly name = 'InputSourceError';
}
