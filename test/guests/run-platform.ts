// Runs a scenario through the real platform and core, collecting in memory what the guests did:
// DLT rows (decoded text) and the event rows the tests look at (copied: the sink's views are reused).
import type { TraceRow } from '../../src/core/api.js';
import { KIND, type EventKind } from '../../src/core/codes.js';
import { Platform, type RunSummary } from '../../src/platform/platform.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { DltRow } from '../../src/trace/recorder.js';

/** A core trace row without its val, at its time. */
export interface EventRow extends Omit<TraceRow, 'val'> {
  ts: number;
}

export interface GuestRun {
  summary: RunSummary;
  dlt: DltRow[];
  events: EventRow[];
  of(kind: EventKind): EventRow[];
  /** DLT payload texts of one ECU and context, in time order. */
  logs(ecu: string, ctid: string): string[];
}

export async function runScenario(json: unknown, durationNs: number): Promise<GuestRun> {
  const scenario = parseScenario(json, 'test');
  const dlt: DltRow[] = [];
  const events: EventRow[] = [];
  const sink: PlatformSink = {
    events(cols, count) {
      for (let i = 0; i < count; i++) {
        events.push({
          ts: Number(cols.ts_ns[i]), vm: cols.vm[i]!, vcpu: cols.vcpu[i]!, kind: cols.kind[i]!, dev: cols.dev[i]!,
          queue: cols.queue[i]!, id: Number(cols.id[i]), len: cols.len[i]!,
        });
      }
    },
    dlt: (row) => dlt.push(row),
    clock: () => {},
    input: () => {},
  };
  const platform = await Platform.create(scenario, sink);
  const summary = platform.run(durationNs);
  return {
    summary,
    dlt,
    events,
    of: (kind) => events.filter((e) => e.kind === KIND[kind]),
    logs: (ecu, ctid) => dlt.filter((r) => r.ecu === ecu && r.ctid === ctid).map((r) => r.payload),
  };
}
