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
import { PAGE_STORE_CODE } from './page-store-code.js';
import { PAGE_STORE_CONSTANTS, SnapshotStore, freshSnapshotFolder, pageJob } from './writer.js';

const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
${PAGE_STORE_CODE}
parentPort.on('message', ({ folder, constants, done: doneBuffer, port }) => {
  const store = makePageStore(folder, constants);
  const done = new Int32Array(doneBuffer);
  port.on('message', (job) => {
    let reply;
    try {
      reply = { entry: store.write(job) };
    } catch (error) {
      reply = { error: String((error && error.message) || error) };
    }
    port.postMessage(reply);
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  });
});
`;

/** The process's snapshot worker: undefined before the first store asks, null when none can start. */
let shared: Worker | null | undefined;

/** The process's snapshot worker, started at the first call (null: no thread to be had). */
export function snapshotWorker(): Worker | null {
  if (shared !== undefined) return shared;
  try {
    const worker = new Worker(WORKER_CODE, { eval: true });
    worker.unref(); // an idle thread never keeps the process alive
    worker.on('error', () => {}); // a store waiting on it says so (flush); the next store starts another
    worker.on('exit', () => {
      if (shared === worker) shared = undefined;
    });
    shared = worker;
  } catch {
    shared = null; // no thread: write here
  }
  return shared;
}

/** How long flush() waits for the worker before calling it stuck (a snapshot takes ~10 ms). */
const FLUSH_WAIT_MS = 120_000;

type Reply = { entry: ManifestSnapshot } | { error: string };

export class BackgroundSnapshotStore {
  private readonly port: MessagePort | null;
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly here: SnapshotStore | null;
  private previous: readonly Uint8Array[] = [];
  private sent = 0;
  private received = 0;
  private readonly ready: ManifestSnapshot[] = [];

  /** A store for a new recording in `dir` (an earlier trace's snapshot files there go). */
  constructor(dir: string) {
    const folder = freshSnapshotFolder(dir);
    const worker = snapshotWorker();
    if (worker === null) {
      this.port = null;
      this.here = new SnapshotStore(dir);
      return;
    }
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ folder, constants: PAGE_STORE_CONSTANTS, done: this.done.buffer, port: port2 }, [port2]);
    this.port = port1;
    this.here = null;
  }

  /** Hands `snapshot` (and the TypeScript state) to the writer; its entry comes from take/flush. */
  write(snapshot: CoreSnapshot, platform: unknown): void {
    if (this.here !== null) {
      this.ready.push(this.here.write(snapshot, platform));
      return;
    }
    const job = pageJob(snapshotId(++this.sent), snapshot, platform, this.previous);
    this.previous = snapshot.pages;
    this.port!.postMessage(job, [job.kinds.buffer as ArrayBuffer, job.bytes.buffer as ArrayBuffer]); // fresh copies (pageJob)
  }

  /** The entries of the snapshots written so far, in order, each once. */
  take(): ManifestSnapshot[] {
    for (let m = this.port && receiveMessageOnPort(this.port); m !== undefined && m !== null; m = receiveMessageOnPort(this.port!)) {
      this.received++;
      const reply = m.message as Reply;
      if ('error' in reply) throw new Error(`snapshot store: writing a snapshot failed: ${reply.error}`);
      this.ready.push(reply.entry);
    }
    return this.ready.splice(0);
  }

  /** Waits until every snapshot handed over is written; returns the entries not taken yet. */
  flush(): ManifestSnapshot[] {
    const deadline = performance.now() + FLUSH_WAIT_MS;
    const entries = this.take();
    while (this.received < this.sent) {
      const seen = Atomics.load(this.done, 0);
      const left = deadline - performance.now();
      if (left <= 0 || (seen < this.sent && Atomics.wait(this.done, 0, seen, left) === 'timed-out')) {
        throw new Error(`snapshot store: the writer thread did not finish ${this.sent - seen} snapshot(s) in ${FLUSH_WAIT_MS} ms`);
      }
      entries.push(...this.take());
    }
    return entries;
  }

  /** Detaches from the worker (which stays for the process's next recording). */
  close(): void {
    this.port?.close();
  }
}
