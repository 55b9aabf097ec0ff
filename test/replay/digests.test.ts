// Digests at record time (issue 9 §2): deterministic, from the column values (so a batch built
// from the core's columns and the same batch read back from its file digest alike), sensitive
// to one value, and taking them at epochs never changes the run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordScenario } from '../../src/platform/record.js';
import { batchDigest } from '../../src/replay/digest.js';
import { readDigests } from '../../src/replay/digest-file.js';
import { loadScenario } from '../../src/scenario/load.js';
import { eventsBatch } from '../../src/trace/events-batch.js';
import { openCheckedTrace } from '../../src/trace/open.js';
import { Recorder } from '../../src/trace/recorder.js';
import { META, dltRow, eventColumns, tempDir } from '../trace/helpers.js';

const SCENARIO = join(import.meta.dirname, 'tiny-ecu.json');

async function recordTiny(options: { seed?: number; epochNs?: number } = {}): Promise<string> {
  const dir = join(tempDir('tv-digests-'), 't');
  const scenario = loadScenario(SCENARIO, options.seed !== undefined ? { seed: options.seed } : {});
  await recordScenario(scenario, dir, options.epochNs !== undefined ? { epochNs: options.epochNs } : {});
  return dir;
}

describe('digests', () => {
  it('recording the same scenario twice gives the same digests, byte for byte', async () => {
    const a = await recordTiny();
    const b = await recordTiny();
    expect(readFileSync(join(a, 'digests.ndjson'), 'utf8')).toBe(readFileSync(join(b, 'digests.ndjson'), 'utf8'));
    const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { digests: unknown };
    expect(manifest(a).digests).toEqual(manifest(b).digests);
    // 300 ms in 100 ms epochs; one batch per table that has rows (events, clock, frames)
    expect(manifest(a).digests).toMatchObject({ epochs: 3, batches: 3, epochNs: 100_000_000 });
  });

  it('another seed changes the ECU-driven digests: the first epoch already differs in the PRNG', async () => {
    const a = readDigestsOf(await recordTiny({ seed: 7 }));
    const b = readDigestsOf(await recordTiny({ seed: 8 }));
    const prng = a.header.core.indexOf('prng');
    expect(a.epochs[0]!.core[prng]).not.toBe(b.epochs[0]!.core[prng]);
    expect(a.batches.events[0]!.digest).not.toBe(b.batches.events[0]!.digest);
    expect(a.batches.clock[0]!.digest).toBe(b.batches.clock[0]!.digest); // the clock rows do not use the PRNG
  });

  it('taking epochs every 1 ms instead of every 100 ms leaves every table file identical', async () => {
    const coarse = await recordTiny();
    const fine = await recordTiny({ epochNs: 1_000_000 });
    for (const t of ['events', 'dlt', 'clock', 'inputs']) {
      expect(readFileSync(join(fine, `${t}.arrow`)).equals(readFileSync(join(coarse, `${t}.arrow`))), t).toBe(true);
    }
    expect(readDigestsOf(fine).epochs).toHaveLength(300);
  });

  it('the cockpit with an epoch every 1 ms writes the same tables as with none in between', async () => {
    const cockpit = loadScenario('cockpit', { durationNs: 1_000_000_000 });
    const coarse = join(tempDir('tv-digests-'), 'coarse');
    const fine = join(tempDir('tv-digests-'), 'fine');
    await recordScenario(cockpit, coarse, { epochNs: 1_000_000_000 });
    await recordScenario(cockpit, fine, { epochNs: 1_000_000 });
    for (const t of ['events', 'dlt', 'clock', 'inputs']) {
      expect(readFileSync(join(fine, `${t}.arrow`)).equals(readFileSync(join(coarse, `${t}.arrow`))), t).toBe(true);
    }
    expect(readDigestsOf(fine).epochs).toHaveLength(1000);
    // the one epoch both take (at 1 s) has the same state
    const { epoch: k, ...atOneSecond } = readDigestsOf(fine).epochs[999]!;
    const { epoch: one, ...coarseAtOneSecond } = readDigestsOf(coarse).epochs[0]!;
    expect([k, one]).toEqual([1000, 1]);
    expect(atOneSecond).toEqual(coarseAtOneSecond);
  });

  it('a batch digests alike from the core-style columns and read back from its file; one value changes it', () => {
    const dir = tempDir();
    const cols = eventColumns([
      { ts: 10, kind: 'vq_used', vm: 0, dev: 0, queue: 1, val: 300 },
      { ts: 20, kind: 'sched_run', vm: 1, vcpu: 0, val: 50 },
    ]);
    const written = batchDigest(eventsBatch(cols, 2));
    const rec = Recorder.create(dir, META);
    rec.appendEvents(cols, 2);
    rec.appendDlt(dltRow({ ts_ns: 5, payload: 'hello', level: 'warn', apid: null }));
    rec.finish();
    const [read] = [...openCheckedTrace(dir, 'verify').batches('events')];
    expect(batchDigest(read!)).toBe(written);
    const [dlt] = [...openCheckedTrace(dir, 'verify').batches('dlt')];
    expect(dlt!.numRows).toBe(1);
    cols.val[1] = 51n;
    expect(batchDigest(eventsBatch(cols, 2))).not.toBe(written);
  });
});

function readDigestsOf(dir: string) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const digests = readDigests(dir, manifest);
  if (digests === null) throw new Error('no digests');
  return digests;
}
