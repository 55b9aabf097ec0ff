// What the main thread and the writer thread (writer-thread.ts) share: the layout of the control
// array and the job messages. Kept apart so the worker loads nothing else of tracevisor.

/** Int32 indices in the control array. BUSY + i is slot i's flag (1 = the writer holds it). */
export const CONTROL = { SIGNAL: 0, STATE: 1, BUSY: 2 } as const;

export const STATE = { RUNNING: 0, DONE: 1, FAILED: 2 } as const;

export interface WriterThreadData {
  /** file descriptor opened by the main thread (descriptors are per process) */
  fd: number;
  control: SharedArrayBuffer;
}

export type WriterJob =
  | { op: 'write'; slot: number; buffer: SharedArrayBuffer; length: number }
  | { op: 'finish' }
  | { op: 'abandon' };

export type WriterResult = { bytes: number; sha256: string } | { error: string; code?: string; syscall?: string };
