// A recording's snapshot store on a worker thread (issue 10 §3 target: snapshot cost <= 5 % of
// recording time). The recording's thread does the cheap half (Core.snapshot's page compare and
// copies, Platform.captureState, writer.ts pageJob) and hands the rest — deflate, the groups'
// sha256, the files — to a worker running page-store-code.ts, the same text writeSnapshot runs in-thread.
// Everything stays synchronous for the caller: replies come back on a MessagePort read with
// receiveMessageOnPort, and flush() waits on a shared counter (Atomics.wait), so the recorder
// lists each snapshot in order, only after both its files are in place (writer.ts: crash safety).
// No thread to be had: the same code runs in this thread.
//
// One worker serves every recording of a process, one after another or at once (a sweep, the
// bench, tests): each store attaches to it with a channel of its own and its own page store.
// Starting a worker measured ~55 ms of CPU (a new isolate loading its modules), per recording
// before, on a 2-core host where that CPU competes with the recording's threads.

import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { CoreSnapshot } from '../core/snapshot.js';
import type { ManifestSnapshot } from '../trace/manifest-file.js';
import { snapshotId } from './format.js';
import { PAGE_STORE_CODE, type PageStore } from './page-store-code.js';
import { PAGE_STORE_CONSTANTS, freshSnapshotFolder, pageJob, pageStoreHere } from './writer.js';

// done (an Int32Array on a SharedArrayBuffer, per store): [0] jobs answered, [1] set to 1 when the
// thread exits (its process 'exit' runs for process.exit and a natural end), so a recording's
// thread that waits on [0] learns it at once; a thread stopped without running its exit handler
// (terminate(), out of memory) is reported by the Worker's 'error' and 'exit' events
// (snapshotWorker), which flushAsync lets through.
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
${PAGE_STORE_CODE}
const dones = new Set();
process.on('exit', () => {
  Atomics.store(new Int32Array(workerData.gone), 0, 1);
  for (const done of dones) { Atomics.store(done, 1, 1); Atomics.notify(done, 0); Atomics.notify(done, 1); }
});
parentPort.on('message', ({ folder, constants, done: doneBuffer, port }) => {
  const done = new Int32Array(doneBuffer);
  dones.add(done);
  port.on('close', () => dones.delete(done));
  let store = null;
  let broken = null;
  try {
    store = makePageStore(folder, constants);
  } catch (error) {
    broken = String((error && error.message) || error);
  }
  port.on('message', (job) => {
    let reply;
    try {
      if (store === null) throw new Error(broken);
      reply = { entry: store.write(job) };
    } catch (error) {
      reply = { error: String((error && error.message) || error) };
    }
    // the pages' buffer goes back for a later job (the store keeps none of it: pack copies)
    reply.spare = job.bytes.buffer;
    port.postMessage(reply, [reply.spare]);
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  });
});
`;

/** The process's snapshot worker: undefined before the first store asks, null when none can start. */
let shared: Worker | null | undefined;
/** Set to 1 by `shared`'s exit handler: a dead worker is not handed to a new store before its events run. */
let sharedGone: Int32Array<ArrayBufferLike> = new Int32Array(1);

/** The stores attached to each worker, told at once when it fails or exits. */
const attached = new WeakMap<Worker, Set<BackgroundSnapshotStore>>();

/** The process's snapshot worker, started at the first call (null: no thread to be had). */
export function snapshotWorker(): Worker | null {
  if (shared !== undefined && !(shared !== null && Atomics.load(sharedGone, 0) === 1)) return shared;
  try {
    const gone = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: { gone: gone.buffer } });
    sharedGone = gone;
    worker.unref(); // an idle thread never keeps the process alive
    attached.set(worker, new Set());
    const died = (why: string): void => {
      if (shared === worker) shared = undefined; // the next store starts another
      for (const store of attached.get(worker) ?? []) store.writerGone(why);
    };
    worker.on('error', (error) => died(`failed (${error.message})`));
    worker.on('exit', (code) => died(`exited (code ${code})`));
    shared = worker;
  } catch {
    shared = null; // no thread: write here
  }
  return shared;
}

/** How long flush() waits for a live worker before calling it stuck (a snapshot takes ~10 ms). */
const FLUSH_WAIT_MS = 120_000;
/** Pages buffers kept for later jobs (jobs in flight at once are 1 or 2: a snapshot every 3 s). */
const SPARE_MAX = 2;
/** flush() looks at the worker's exit flag at least this often while it waits. */
const WAIT_SLICE_MS = 50;

/** A worker's answer to a job, with the job's pages buffer back (BackgroundSnapshotStore.spare). */
type Reply = ({ entry: ManifestSnapshot } | { error: string }) & { spare: ArrayBuffer };

/** Atomics.waitAsync (ES2024; Node has it since 16, the lib this project builds with does not name it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: false } | { async: true; value: Promise<string> };
}).waitAsync;

/** A snapshot handed to the worker whose reply is not in yet: what writing it here again takes. */
interface Pending {
  id: string;
  snapshot: CoreSnapshot;
  platform: unknown;
}

export class BackgroundSnapshotStore {
  private readonly folder: string;
  private port: MessagePort | null = null;
  private worker: Worker | null = null;
  /** [0] jobs the worker answered, [1] 1 once it exited (WORKER_CODE). */
  private readonly done = new Int32Array(new SharedArrayBuffer(8));
  /** The page store in this thread: from the start without a worker, or since the worker died. */
  private here: PageStore | null = null;
  /** Why the worker is gone (its events), until this store falls back to writing here. */
  private gone: string | null = null;
  private previous: readonly Uint8Array[] = [];
  private written = 0;
  private readonly pending: Pending[] = [];
  private readonly ready: ManifestSnapshot[] = [];
  /**
   * Pages buffers the worker gave back, for the next jobs: a new 1.5-3.5 MB buffer per snapshot
   * was fresh memory to fault in and zero, and showed as ~1/4 of the recording thread's part.
   */
  private readonly spare: ArrayBuffer[] = [];

  /** A store for a new recording in `dir` (an earlier trace's snapshot files there go). */
  constructor(dir: string) {
    this.folder = freshSnapshotFolder(dir);
    const worker = snapshotWorker();
    if (worker === null) {
      this.here = pageStoreHere(this.folder);
      return;
    }
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ folder: this.folder, constants: PAGE_STORE_CONSTANTS, done: this.done.buffer, port: port2 }, [port2]);
    attached.get(worker)!.add(this);
    this.port = port1;
    this.worker = worker;
  }

  /** Hands `snapshot` (and the TypeScript state) to the writer; its entry comes from take/flush. */
  write(snapshot: CoreSnapshot, platform: unknown): void {
    const id = snapshotId(++this.written);
    if (this.here === null && this.writerDied()) this.fallBack();
    const job = pageJob(id, snapshot, platform, this.previous, this.here === null ? this.spare.pop() : undefined);
    this.previous = snapshot.pages;
    if (this.here !== null) {
      this.ready.push(this.here.write(job));
      return;
    }
    this.pending.push({ id, snapshot, platform });
    this.port!.postMessage(job, [job.kinds.buffer as ArrayBuffer, job.bytes.buffer as ArrayBuffer]); // fresh copies (pageJob)
  }

  /** The entries of the snapshots written so far, in order, each once. */
  take(): ManifestSnapshot[] {
    this.receive();
    if (this.here === null && this.pending.length > 0 && this.writerDied()) this.fallBack();
    return this.ready.splice(0);
  }

  /**
   * Waits until every snapshot handed over is written; returns the entries not taken yet. A
   * worker that died is noticed at once by its exit flag (or its events, when the event loop ran
   * since): the snapshots it did not answer are written here. Prefer flushAsync, which lets the
   * worker's events in while it waits (a thread stopped without running its exit handler).
   */
  flush(): ManifestSnapshot[] {
    const deadline = performance.now() + FLUSH_WAIT_MS;
    for (;;) {
      const round = this.flushRound(deadline);
      if ('entries' in round) return round.entries;
      Atomics.wait(this.done, 0, round.seen, round.slice);
    }
  }

  /** flush(), letting the event loop run while it waits (the worker's 'error' and 'exit' events). */
  async flushAsync(): Promise<ManifestSnapshot[]> {
    const deadline = performance.now() + FLUSH_WAIT_MS;
    for (;;) {
      const round = this.flushRound(deadline);
      if ('entries' in round) return round.entries;
      const { seen, slice } = round;
      const waited = waitAsync(this.done, 0, seen, slice);
      if (!waited.async) continue;
      let timer: NodeJS.Timeout | undefined;
      // the timer keeps the process alive while waiting (a pending waitAsync may not)
      await Promise.race([waited.value, new Promise<void>((resolve) => (timer = setTimeout(resolve, slice)))]);
      clearTimeout(timer);
    }
  }

  /**
   * One round of a flush: every entry not taken yet once nothing is pending, else the written
   * count to wait past and for how long (a wait slice, never past the deadline: then stuck()).
   */
  private flushRound(deadline: number): { entries: ManifestSnapshot[] } | { seen: number; slice: number } {
    const entries = this.take();
    if (this.pending.length === 0) return { entries };
    this.ready.unshift(...entries);
    const seen = Atomics.load(this.done, 0);
    const left = deadline - performance.now();
    if (left <= 0) throw this.stuck();
    return { seen, slice: Math.min(left, WAIT_SLICE_MS) };
  }

  /** Detaches from the worker (which stays for the process's next recording). */
  close(): void {
    this.port?.close();
    if (this.worker !== null) attached.get(this.worker)?.delete(this);
  }

  /** The worker failed or exited (snapshotWorker's events): the next take, write or flush falls back. */
  writerGone(why: string): void {
    this.gone ??= why;
    Atomics.notify(this.done, 0); // a flushAsync waiting wakes up
  }

  private writerDied(): boolean {
    if (this.gone === null && Atomics.load(this.done, 1) === 1) this.gone = 'exited';
    return this.gone !== null;
  }

  private receive(): void {
    if (this.port === null) return;
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      this.pending.shift();
      const reply = m.message as Reply;
      if (this.spare.length < SPARE_MAX) this.spare.push(reply.spare);
      if ('error' in reply) throw new Error(`snapshot store: writing a snapshot failed: ${reply.error}`);
      this.ready.push(reply.entry);
    }
  }

  /**
   * Writes the snapshots the dead worker did not answer, and every later one, in this thread. Its
   * page store knows none of the worker's packs, so the first snapshot it writes holds all its
   * pages (a valid snapshot, larger than the worker's would be: such a run's snapshot files
   * differ from a run without the failure, its trace tables do not). Said on stderr, once.
   */
  private fallBack(): void {
    this.receive(); // replies sent before it died
    process.emitWarning(
      `snapshot store: the snapshot writer thread ${this.gone}; writing ${this.pending.length} pending and later snapshots in this thread`,
    );
    this.close();
    this.port = null;
    this.here = pageStoreHere(this.folder);
    this.previous = [];
    for (const p of this.pending.splice(0)) {
      this.ready.push(this.here.write(pageJob(p.id, p.snapshot, p.platform, this.previous)));
      this.previous = p.snapshot.pages;
    }
  }

  private stuck(): Error {
    return new Error(`snapshot store: the writer thread did not finish ${this.pending.length} snapshot(s) in ${FLUSH_WAIT_MS} ms`);
  }
}
