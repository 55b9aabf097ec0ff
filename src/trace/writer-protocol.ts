// What the main thread and the writer thread (writer-thread.ts) share: the layout of the control
// array and the job messages. Kept apart so the worker loads nothing else of tracevisor.

/** Int32 indices in the control array. */
export const CONTROL = {
  /** bumped (and notified) on every change below */
  SIGNAL: 0,
  /** STATE.* */
  STATE: 1,
  /** write jobs completed, in the order they were posted */
  WRITTEN: 2,
} as const;
export const CONTROL_LENGTH = 3;

export const STATE = { RUNNING: 0, DONE: 1, FAILED: 2 } as const;

export interface WriterThreadData {
  control: SharedArrayBuffer;
}

/**
 * parts: byte views written back to back. Views over a SharedArrayBuffer arrive shared (the
 * writer reads the producer's memory: the producer must not change it before the job is
 * WRITTEN); views over an ordinary ArrayBuffer arrive as copies. digest: byte views hashed
 * together (not written) into a WriterDigest: the replay digest of a batch (src/replay/digest.ts).
 */
export type WriterJob =
  /** the first job: the file descriptor, opened by the main thread (descriptors are per process) */
  | { op: 'open'; fd: number }
  | { op: 'write'; parts: Uint8Array[]; digest?: Uint8Array[] }
  | { op: 'finish' }
  | { op: 'abandon' };

export type WriterResult = { bytes: number; sha256: string } | { error: string; code?: string; syscall?: string };

/**
 * --- pipeline (issue 10): a write job that carried `digest` parts gets their sha256 (hex) back,
 * posted before the job counts WRITTEN, in job order; `ticket` is the job's ticket.
 */
export interface WriterDigest {
  ticket: number;
  digest: string;
}
