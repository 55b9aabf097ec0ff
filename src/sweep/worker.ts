// A sweep's worker thread: takes one SweepJob at a time from the pool (pool.ts) and answers its
// SeedOutcome. runSeed catches what a run throws, so a message always comes back; a thread that
// dies anyway (out of memory, a native crash) is noticed by the pool.

import { parentPort } from 'node:worker_threads';
import type { SweepJob } from './job.js';
import { runSeed } from './run-seed.js';

if (parentPort === null) throw new Error('assert: sweep worker started outside a worker thread');
const port = parentPort;
/** TestHooks.crashOnSeed: process.exit in a worker ends only the thread, with this code. */
const PLANTED_CRASH_EXIT = 70;

port.on('message', (job: SweepJob) => {
  if (job.hooks?.crashOnSeed === job.seed) process.exit(PLANTED_CRASH_EXIT);
  void runSeed(job).then((outcome) => port.postMessage(outcome));
});
