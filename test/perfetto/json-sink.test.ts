// The JSON writer alone: exact µs timestamps from integer ns, and the one warning when the file
// grows past the size where chrome://tracing fails (a fake output stands in for 256 MB).

import { describe, expect, it } from 'vitest';
import type { FileOut } from '../../src/formats/perfetto/file-out.js';
import { JSON_WARN_BYTES, JsonSink, us } from '../../src/formats/perfetto/json-sink.js';
import type { Track } from '../../src/formats/perfetto/sink.js';

class FakeOut {
  text = '';
  bytes = 0;
  writeText(t: string): void {
    this.text += t;
    this.bytes += Buffer.byteLength(t);
  }
}

const track: Track = { uuid: 7, name: 'events', parentUuid: 1, role: { kind: 'child', pid: 10, async: false } };

describe('JSON sink', () => {
  it('writes ts as µs with the ns as three exact decimals', () => {
    expect(us(0)).toBe('0.000');
    expect(us(7)).toBe('0.007');
    expect(us(1_234_567)).toBe('1234.567');
    expect(us(600_000_000_001)).toBe('600000000.001'); // 600 s + 1 ns: beyond a double's µs.ns
  });

  it('warns once when the file passes 256 MB, and only then', () => {
    const out = new FakeOut();
    const warnings: string[] = [];
    const sink = new JsonSink(out as unknown as FileOut, (m) => warnings.push(m));
    sink.track(track);
    sink.instant(5, track, 'a', null, null);
    sink.endInterval();
    expect(warnings).toEqual([]);
    out.bytes = JSON_WARN_BYTES - 10; // as if 256 MB had been written
    sink.instant(6, track, 'b', null, null);
    sink.endInterval();
    sink.instant(7, track, 'c', null, null);
    sink.endInterval();
    sink.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/256 MB/);
  });

  it('writes a document JSON.parse reads, thread names first', () => {
    const out = new FakeOut();
    const sink = new JsonSink(out as unknown as FileOut, () => {});
    sink.track(track);
    sink.begin(1000, track, 'x', { n: 1 }, null);
    sink.end(2500, track);
    sink.close();
    const doc = JSON.parse(out.text) as { traceEvents: Array<Record<string, unknown>> };
    expect(doc.traceEvents).toEqual([
      { ph: 'M', name: 'thread_name', pid: 10, tid: 1_000_007, args: { name: 'events' } },
      { ph: 'B', name: 'x', pid: 10, tid: 1_000_007, ts: 1, args: { n: 1 } },
      { ph: 'E', pid: 10, tid: 1_000_007, ts: 2.5 },
    ]);
  });
});
