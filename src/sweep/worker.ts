// A sweep's worker thread: takes one SweepJob at a time from the pool (pool.ts) and answers its
// SeedOutcome. runSeed catches what a run throws, so a message always comes back; a thread that
// dies anyway (out of memory, a native crash) is noticed by the pool.

import { parentPort } from 'node:worker_threads';
import type { SweepJob } from './job.js';
import { runSeed } from './run-seed.js';

if (parentPort === null) throw new Error('assert: sweep worker started outside a worker thread');
const port = parentPort;
port.on('message', (job: SweepJob) => {
  void runSeed(job).then((outcome) => port.postMessage(outcome));
});
