// Records a scenario with input sources through the real path (sources -> drive -> applyInput ->
// recorder) and keeps what a test looks at: the event rows (copied; the sink's views are reused)
// and the inputs rows as the recorder got them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { KIND, type EventKind } from '../../src/core/codes.js';
import { recordScenario, type RecordOptions, type RecordResult } from '../../src/platform/record.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import type { InputRow } from '../../src/trace/recorder.js';
import { copyEventRows, type EventRow } from '../event-rows.js';

/** An event row with its val and seq (test/event-rows.ts). */
export type Row = EventRow;

export interface InputRun extends RecordResult {
  events: Row[];
  inputs: InputRow[];
  of(kind: EventKind): Row[];
}

export function scenarioOf(json: unknown, durationNs: number): Scenario {
  return parseScenario({ ...(json as object), durationNs }, 'test');
}

export async function recordInputs(scenario: Scenario, dir: string, options: RecordOptions): Promise<InputRun> {
  const events: Row[] = [];
  const inputs: InputRow[] = [];
  const tee: PlatformSink = {
    events: (cols, count) => copyEventRows(cols, count, events),
    dlt: () => {},
    clock: () => {},
    input: (row) => inputs.push(row),
  };
  const result = await recordScenario(scenario, dir, { ...options, tee });
  return { ...result, events, inputs, of: (kind) => events.filter((e) => e.kind === KIND[kind]) };
}

/** The `inputs` table of a trace directory, read back from its Arrow file (what replay reads). */
export function readInputsTable(dir: string): InputRow[] {
  const table = tableFromIPC(readFileSync(join(dir, 'inputs.arrow')));
  return table.toArray().map((r: { ts_ns: bigint; seq: bigint; source: string; kind: string; data: Uint8Array }) => ({
    ts_ns: r.ts_ns, seq: r.seq, source: String(r.source), kind: String(r.kind), data: new Uint8Array(r.data),
  }));
}

export const tableBytes = (dir: string, table: string): Buffer => readFileSync(join(dir, `${table}.arrow`));
