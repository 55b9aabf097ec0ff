// Errors a user can see: one line saying what, where and what to do (STYLE: "Our own").
// Anything else thrown from src/trace is a bug in tracevisor and keeps its stack.

export type TraceErrorCode =
  | 'not_a_directory'
  | 'not_empty'
  | 'no_manifest'
  | 'manifest_invalid'
  | 'table_missing'
  | 'table_unreadable'
  /** A table file differs from its manifest or fails validation (open.ts: verify/trust). */
  | 'trace_damaged'
  /** A table file changed between its check and a later read of it. */
  | 'trace_changed'
  | 'recorder_closed';

export class TraceError extends Error {
  override readonly name = 'TraceError';
  constructor(
    readonly code: TraceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** First line of an unknown thrown value, for wrapping foreign errors into one-line messages. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] ?? '';
}
