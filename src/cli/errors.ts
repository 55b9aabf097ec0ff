// Exit codes (the contract scripts rely on): 0 success, 2 bad usage or bad input (one clear line
// per problem on stderr), 1 internal error. Every command funnels its errors through here.

import { ScenarioError } from '../scenario/load.js';
import { TraceError } from '../trace/errors.js';
import { QueryError } from '../query/errors.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

/** A problem with what the user asked for (arguments, files): exit 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function isUserError(err: unknown): err is Error {
  return err instanceof UsageError || err instanceof ScenarioError || err instanceof TraceError || err instanceof QueryError;
}

export function reportError(err: unknown): number {
  if (isUserError(err)) {
    process.stderr.write(`tracevisor: ${err.message.split('\n').join('\ntracevisor: ')}\n`);
    return EXIT_BAD_INPUT;
  }
  const detail = err instanceof Error ? (process.env.TRACEVISOR_DEBUG ? err.stack : err.message) : String(err);
  process.stderr.write(`tracevisor: internal error: ${detail}\n`);
  if (!process.env.TRACEVISOR_DEBUG) process.stderr.write('tracevisor: (set TRACEVISOR_DEBUG=1 for the stack trace)\n');
  return EXIT_INTERNAL;
}
