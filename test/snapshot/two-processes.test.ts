// A snapshot written to a trace directory and restored in another node process continues exactly
// as the original core does in this one (issue 10 §3: "and across two processes").
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/core/codes.js';
import { listInManifest, writeSnapshot, closeSnapshots } from '../../src/snapshot/index.js';
import { packageRoot } from '../../src/util/package-root.js';
import { cockpitSnapshots, traceDir } from './helpers.js';
// @ts-expect-error: plain JS shared with the child process, no declarations
import { continueRun } from './continue-run.mjs';

type Outcome = { rows: number; irqs: number; rowsSha256: string; digests: string[]; nowNs: number };
const UNTIL_NS = 1_400_000_000;

describe('snapshot across two processes', () => {
  it('the cockpit core at 1 s, restored from disk in a child process, emits the same rows and digests to 1.4 s', async () => {
    const { core, taken } = await cockpitSnapshots([1_000_000_000]);
    const dir = traceDir();
    const entry = writeSnapshot(dir, taken[0]!.snapshot);
    listInManifest(dir, [entry]);
    closeSnapshots(dir);

    core.traceFlush(); // rows before the snapshot are this core's (a restored one starts with none)
    const here = continueRun(core, UNTIL_NS, EXIT.irq) as Outcome;
    const child = execFileSync(
      process.execPath,
      [join(packageRoot(), 'test', 'snapshot', 'continue-run.mjs'), join(packageRoot(), 'dist'), dir, entry.id, String(UNTIL_NS)],
      { encoding: 'utf8' },
    );
    const there = JSON.parse(child) as Outcome;
    expect(here.rows).toBeGreaterThan(20);
    expect(here.irqs).toBeGreaterThan(0);
    expect(here.nowNs).toBe(UNTIL_NS);
    expect(there).toEqual(here);
  });
});
