// ECU lifecycles: the rule of src/formats/dlt/lifecycle.ts on constructed logs whose restarts
// and non-restarts (reordering between applications, a startup backlog) are known, worked out
// message by message in the comments.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { LifecycleTracker } from '../../src/formats/dlt/lifecycle.js';
import { dltRows, logMessage, tempDir, writeDlt, type LogSpec } from './helpers.js';

describe('lifecycle numbering on import', () => {
  // us: storage time (µs); ts: ECU timestamp (0.1 ms). tsMax / storedAtMax as the rule keeps them.
  const log: Array<LogSpec & { lifecycle: number }> = [
    // ECU1 boots; apps A (session 100) and B (session 200)
    { ecu: 'ECU1', us: 1_000_000, ts: 5_000, apid: 'A', session: 100, lifecycle: 1 }, // first: tsMax 5000 @1.0 s
    { ecu: 'ECU2', us: 1_200_000, ts: 100_000, apid: 'C', session: 7, lifecycle: 1 },
    { ecu: 'ECU1', us: 1_500_000, ts: 10_000, apid: 'A', session: 100, lifecycle: 1 }, // tsMax 10000 @1.5 s
    // B's message 1 ms older arrives after A's: falls back, but stored 0.5 ms after → same lifecycle
    { ecu: 'ECU1', us: 1_500_500, ts: 9_990, apid: 'B', session: 200, lifecycle: 1 },
    { ecu: 'ECU1', us: 2_600_000, ts: 21_000, apid: 'A', session: 100, lifecycle: 1 }, // tsMax 21000 @2.6 s
    // B's startup backlog (logged at 0.2 s, flushed now): falls back 1.9 s, stored 0.1 ms after
    // the newest message, and B's session is unchanged → same lifecycle
    { ecu: 'ECU1', us: 2_600_100, ts: 2_000, apid: 'B', session: 200, lifecycle: 1 },
    { ecu: 'ECU2', us: 5_000_000, ts: 138_000, apid: 'C', session: 7, lifecycle: 1 },
    // restart 1: timestamp falls back and the message is stored 6.4 s after the newest → lifecycle 2
    { ecu: 'ECU1', us: 9_000_000, ts: 3_000, apid: 'A', session: 300, lifecycle: 2 },
    { ecu: 'ECU1', us: 9_500_000, ts: 8_000, apid: 'B', session: 400, lifecycle: 2 },
    { ecu: 'ECU1', us: 9_500_100, ts: 40_000, apid: 'A', session: 300, lifecycle: 2 }, // tsMax 40000 @9.5001 s
    { ecu: 'ECU2', us: 9_550_000, apid: 'C', session: 7, lifecycle: 1 }, // no timestamp: stays
    // restart 2 stored in one burst (0.1 s after the newest): the clock falls back 3.99 s ≥ 1 s and
    // A's session changed from 300 to 500 → lifecycle 3
    { ecu: 'ECU1', us: 9_600_000, ts: 100, apid: 'A', session: 500, lifecycle: 3 },
    { ecu: 'ECU1', us: 9_600_050, ts: 200, apid: 'B', session: 600, lifecycle: 3 },
    { ecu: 'ECU1', us: 9_600_060, apid: 'B', session: 600, lifecycle: 3 }, // no timestamp
  ];

  it('numbers two restarts of ECU1, none of ECU2, and keeps reordered and backlogged messages', () => {
    const dir = tempDir('tv-life-');
    const file = writeDlt(dir, 'restarts.dlt', log.map((m) => logMessage(m)));
    const out = join(dir, 't');
    const result = importDltFiles([file], out);
    expect(result.lifecycles).toEqual({ ECU1: 3, ECU2: 1 });
    expect(dltRows(out).map((r) => [r.ecu, r.apid, r.lifecycle])).toEqual(log.map((m) => [m.ecu, m.apid, m.lifecycle]));
  });
});

describe('LifecycleTracker', () => {
  it('a storing clock that falls back with the ECU clock is a restart (ECU-side log files)', () => {
    const t = new LifecycleTracker();
    expect(t.observe('E', 50_000, 100_000_000, 'A', -1)).toBe(1);
    expect(t.observe('E', 60_000, 101_000_000, 'A', -1)).toBe(1);
    // RTC-less ECU: both clocks start again
    expect(t.observe('E', 1_000, 2_000_000, 'A', -1)).toBe(2);
    expect(t.observe('E', 2_000, 2_100_000, 'A', -1)).toBe(2);
  });

  it('a new session is a restart only with a fallback of 1 s (else an app restarted within the boot)', () => {
    const t = new LifecycleTracker();
    expect(t.observe('E', 50_000, 5_000_000, 'A', 1)).toBe(1);
    expect(t.observe('E', 50_100, 5_010_000, 'B', 2)).toBe(1);
    expect(t.observe('E', 50_050, 5_010_100, 'A', 9)).toBe(1); // fell back 5 ms only: A is now 9
    expect(t.observe('E', 40_000, 5_010_200, 'B', 2)).toBe(1); // fell back 1.01 s, B unchanged
    expect(t.observe('E', 39_000, 5_010_300, 'A', 10)).toBe(2); // fell back 1.11 s, A 9 → 10
  });

  it('ECUs are independent, and the first timestamp never starts a second lifecycle', () => {
    const t = new LifecycleTracker();
    expect(t.observe('X', -1, 0, -1, -1)).toBe(1);
    expect(t.observe('X', 10, 50_000_000, -1, -1)).toBe(1);
    expect(t.observe('Y', 5, 50_000_001, -1, -1)).toBe(1);
    expect(t.observe('X', 1, 99_000_000, -1, -1)).toBe(2);
    expect(t.observe('Y', 6, 99_000_001, -1, -1)).toBe(1);
    expect(t.counts()).toEqual(new Map([['X', 2], ['Y', 1]]));
  });
});
