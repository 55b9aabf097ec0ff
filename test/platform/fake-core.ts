// A stand-in for the core with only what the engine and scheduler touch (time, trace rows), so
// their logic is tested on its own. Platform tests use the real core.
import type { CoreApi, TraceRow } from '../../src/core/api.js';
import { EXIT } from '../../src/core/codes.js';

export interface FakeCore {
  core: CoreApi;
  rows: (TraceRow & { ts: number })[];
}

export function fakeCore(): FakeCore {
  let now = 0;
  const rows: (TraceRow & { ts: number })[] = [];
  const core = {
    now: () => now,
    setNow: (ns: number) => {
      now = ns;
    },
    run: (until: number) => {
      now = Math.max(now, until);
      return EXIT.until;
    },
    irqTake: () => [],
    step: (until: number) => {
      now = Math.max(now, until);
      return EXIT.until;
    },
    traceEmit: (row: TraceRow) => rows.push({ ...row, ts: now }),
    emit: (vm: number, vcpu: number, kind: number, dev: number, queue: number, id: number, len: number, val: number) =>
      rows.push({ vm, vcpu, kind, dev, queue, id, len, val, ts: now }),
  } as unknown as CoreApi;
  return { core, rows };
}
