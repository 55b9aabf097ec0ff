// Exit codes (the contract scripts rely on): 0 success, 2 bad usage or bad input (one clear line
// per problem on stderr), 1 internal error. Every command funnels its errors through here.


export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;
/** replay / diff: the two runs differ (what differs is already printed). */
export const EXIT_DIFFERENT = 3;

/** Thrown by replay and diff after printing a divergence: exit 3, nothing more on stderr. */
export class RunsDiffer extends Error {
  override readonly name = 'RunsDiffer';
}

/** A problem with what the user asked for (arguments, files): exit 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Errors about the user's input, by class name (checked by name so that this module, loaded
 *  by every command, does not pull in zod, apache-arrow or DuckDB). */
const USER_ERRORS = new Set(['UsageError', 'ScenarioError', 'TraceError', 'QueryError', 'DltExportError', 'InputSourceError', 'ReplayError']);

function isUserError(err: unknown): err is Error {
  return err instanceof Error && USER_ERRORS.has(err.name);
}

export function reportError(err: unknown): number {
  if (err instanceof Error && err.name === 'RunsDiffer') return EXIT_DIFFERENT;
  if (isUserError(err)) {
    process.stderr.write(`tracevisor: ${err.message.split('\n').join('\ntracevisor: ')}\n`);
    return EXIT_BAD_INPUT;
  }
  const detail = err instanceof Error ? (process.env.TRACEVISOR_DEBUG ? err.stack : err.message) : String(err);
  process.stderr.write(`tracevisor: internal error: ${detail}\n`);
  if (!process.env.TRACEVISOR_DEBUG) process.stderr.write('tracevisor: (set TRACEVISOR_DEBUG=1 for the stack trace)\n');
  return EXIT_INTERNAL;
}

/** A failed file operation (ENOENT, EACCES, ENOSPC …) is the user's to fix: one line, exit 2. */
export function fileError(error: unknown): unknown {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || typeof e.syscall !== 'string') return error;
  const where = typeof e.path === 'string' ? e.path.replace(/\.tmp-\d+$/, '') : '?';
  return new UsageError(`${where}: cannot ${e.syscall} (${e.code})`);
}
