// The one door for untrusted run-time state (STYLE.md, rust-vmm's `Queue::try_from(QueueState)`):
// every piece of a captured platform state is parsed by a schema before anything is assigned,
// and a bad field is one error naming its path (`state.targets[4].vcpus[1].pcpu: ...`).

import { z } from 'zod';

/** A captured state that does not fit the platform it is restored into. */
export class StateError extends Error {
  override readonly name = 'StateError';
}

/** Parses `value` with `schema`; the first problem becomes a StateError naming `path`.field. */
export function checkState<T extends z.ZodType>(schema: T, value: unknown, path: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  throw new StateError(`${path}${field}: ${issue.message}`);
}

/** Throws a StateError at `path` unless `ok` (a check that relates fields to the platform). */
export function requireState(ok: boolean, path: string, message: string): void {
  if (!ok) throw new StateError(`${path}: ${message}`);
}

/** Non-negative integer ns / counters. */
export const count = z.number().int().nonnegative();
/** Any safe integer (clock offsets, -1 sentinels). */
export const int = z.number().int();
