// The `tracevisor` executable users run (package.json bin: the rolldown bundle of dist/src), run
// as a child process: what a shell user sees, exit code, stdout and stderr.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';

export const CLI = join(packageRoot(), 'dist', 'cli', 'main.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tracevisor <args>` with `input` on stdin (none: stdin is closed). */
export function tvWith(args: string[], input?: string | Uint8Array): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8', timeout: 120_000, ...(input !== undefined ? { input } : { stdio: ['ignore', 'pipe', 'pipe'] }),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tv(...args: string[]): Run {
  return tvWith(args);
}

/** For beforeAll: a clear message when the bundle was not built. */
export function requireCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does it first)`);
}
