// Builders for tiny traces used by the trace and query tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceColumns } from '../../src/core/api.js';
import { KIND, type EventKind } from '../../src/core/codes.js';

import { afterAll } from 'vitest';

// Registered while the importing test file is collected, so it runs after that file's tests
// (vitest's fork workers do not reliably emit 'exit').
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed when the test process exits. */
export function tempDir(prefix = 'tv-trace-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export interface EventSpec {
  ts: number;
  kind: EventKind;
  vm?: number;
  vcpu?: number;
  dev?: number;
  queue?: number;
  id?: number;
  len?: number;
  val?: number | bigint;
}

/** Columns like the core's, with room for `capacity` rows (only the first rows are filled). */
export function eventColumns(events: readonly EventSpec[], capacity = events.length + 3): TraceColumns {
  const cols: TraceColumns = {
    ts_ns: new BigInt64Array(capacity),
    seq: new BigInt64Array(capacity),
    vm: new Int16Array(capacity),
    vcpu: new Int16Array(capacity),
    kind: new Uint8Array(capacity),
    dev: new Int16Array(capacity),
    queue: new Int16Array(capacity),
    id: new BigInt64Array(capacity),
    len: new Int32Array(capacity),
    val: new BigInt64Array(capacity),
  };
  events.forEach((e, i) => {
    cols.ts_ns[i] = BigInt(e.ts);
    cols.seq[i] = BigInt(i);
    cols.vm[i] = e.vm ?? -1;
    cols.vcpu[i] = e.vcpu ?? -1;
    cols.kind[i] = KIND[e.kind];
    cols.dev[i] = e.dev ?? -1;
    cols.queue[i] = e.queue ?? -1;
    cols.id[i] = BigInt(e.id ?? 0);
    cols.len[i] = e.len ?? 0;
    cols.val[i] = BigInt(e.val ?? 0);
  });
  return cols;
}

export const META = { scenario: { name: 'tiny', vms: 2 }, seed: '42', coreVersion: 1 };

import type { DltRow } from '../../src/trace/index.js';

/** A DLT log row with defaults for the fields a test does not care about. */
export function dltRow(over: Partial<DltRow> & { ts_ns: number | bigint }): DltRow {
  return {
    local_ts_ns: over.ts_ns,
    vm: 0,
    ecu: 'ECU1',
    apid: 'APP',
    ctid: 'CTX',
    session_id: null,
    type: 'log',
    subtype: over.level ?? 'info',
    level: 'info',
    msg_counter: 0,
    verbose: true,
    noar: 1,
    message_id: null,
    payload: '',
    payload_raw: new Uint8Array(0),
    lifecycle: 1,
    storage_ts_ns: null,
    ...over,
  };
}

import { Recorder, type ClockRow } from '../../src/trace/index.js';

/** A trace directory holding exactly these rows (META's scenario): the named-query tests' input. */
export function tinyTrace(parts: { events?: EventSpec[]; dlt?: DltRow[]; clock?: ClockRow[] }, prefix = 'tv-query-'): string {
  const dir = tempDir(prefix);
  const rec = Recorder.create(dir, META);
  if (parts.events) rec.appendEvents(eventColumns(parts.events), parts.events.length);
  for (const row of parts.dlt ?? []) rec.appendDlt(row);
  for (const row of parts.clock ?? []) rec.appendClock(row);
  rec.finish();
  return dir;
}
