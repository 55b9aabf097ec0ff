// Where a sweep's jobs run: worker threads (the CLI), or the calling thread (unit tests of the
// scheduling, which then need no build). Both answer a SweepJob with a SeedOutcome.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../util/package-root.js';
import type { SeedOutcome, SweepJob } from './job.js';
import { runSeed } from './run-seed.js';

export interface Runner {
  readonly id: number;
  run(job: SweepJob): Promise<SeedOutcome>;
  close(): Promise<void>;
}

export type RunnerFactory = (id: number) => Runner;

/**
 * The worker's script: compiled beside this module (dist/src/sweep/), or under dist/ when tests
 * run the sources; the bundled CLI (dist/cli/) finds it under dist/src, which the package ships
 * (package.json "files"), as threaded-writer.ts finds its writer thread.
 */
export function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return pathToFileURL(join(packageRoot(), 'dist', 'src', 'sweep', 'worker.js'));
}

export const threadRunners: RunnerFactory = (id) => new ThreadRunner(id);
export const inlineRunners: RunnerFactory = (id) => ({ id, run: runSeed, close: async () => {} });

/** One worker thread; a thread that dies mid-job answers that job as an internal error and is
 *  replaced for the next one. */
class ThreadRunner implements Runner {
  private worker: Worker | null;

  /** Starts the thread now: it loads its modules (~0.3-2 s here) while the caller goes on. */
  constructor(readonly id: number) {
    this.worker = spawn();
  }

  run(job: SweepJob): Promise<SeedOutcome> {
    const worker = (this.worker ??= spawn());
    worker.ref();
    return new Promise((resolve) => {
      const settle = (outcome: SeedOutcome): void => {
        worker.unref();
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(outcome);
      };
      const died = (why: string): void => {
        this.worker = null;
        void worker.terminate();
        settle(deadOutcome(job, `worker thread died: ${why}`));
      };
      const onMessage = (outcome: SeedOutcome): void => settle(outcome);
      const onError = (error: Error): void => died(error.message.split('\n', 1)[0] ?? 'error');
      const onExit = (code: number): void => died(`exit code ${code}`);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }
}

/** An idle thread never keeps the process alive (a usage error after start-up just exits). */
function spawn(): Worker {
  const worker = new Worker(workerUrl());
  worker.unref();
  return worker;
}

/**
 * Thread runners started ahead of the sweep, so that the workers' start-up overlaps the
 * caller's own (loading the scenario, proving the check); the factory hands them out by id.
 */
export function prestartedThreadRunners(count: number): RunnerFactory {
  const started = Array.from({ length: count }, (_, id) => new ThreadRunner(id));
  return (id) => started[id] ?? new ThreadRunner(id);
}

function deadOutcome(job: SweepJob, error: string): SeedOutcome {
  return {
    seed: job.seed, attempt: job.attempt, status: 'error', events: 0, dltRows: 0, clockRows: 0, inputRows: 0,
    wallMs: 0, checkRows: 0, digest: '', error, errorKind: 'internal',
  };
}
