// The timeline as Chrome Trace Event JSON ({"traceEvents":[…]}, the format chrome://tracing and
// older tools read; Trace Event Format, Google doc 1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU):
//   tracks       process_name / thread_name metadata (ph M); a track that is not a vCPU thread
//                becomes a thread of its process (tid 1000000 + uuid) named after the track
//   slices       ph B / E; virtqueue lanes as async b / e (cat "virtqueue", id = the lane)
//   instants     ph i, thread scope
//   counters     ph C, one series "value" per counter track
//   flows        ph s at the flow's first event, f (binding to the enclosing slice) at each later
//                one; a flow with several later events gets one s/f pair per event
// ts is in µs with the ns as three decimals (exact: written from the integer ns).

import type { FileOut } from './file-out.js';
import type { Args, TimelineSink, Track } from './sink.js';

/** chrome://tracing fails on JSON files above ~256 MB (issue 12 §3). */
export const JSON_WARN_BYTES = 256 * 1024 * 1024;
const CHILD_TID_BASE = 1_000_000;

interface FlowOrigin {
  tsNs: number;
  pid: number;
  tid: number;
  /** Later events seen so far. */
  steps: number;
}

export class JsonSink implements TimelineSink {
  private front: string[] = [];
  private main: string[] = [];
  private first = true;
  private warned = false;
  private readonly openNames = new Map<number, string[]>();
  private readonly flows = new Map<number, FlowOrigin>();

  constructor(
    private readonly out: FileOut,
    private readonly warn: (message: string) => void,
  ) {
    out.writeText('{"displayTimeUnit":"ns","traceEvents":[\n');
  }

  track(track: Track): void {
    const role = track.role;
    if (role.kind === 'process') {
      this.front.push(`{"ph":"M","name":"process_name","pid":${role.pid},"args":{"name":${JSON.stringify(track.name)}}}`);
    } else if (role.kind === 'thread' || (role.kind === 'child' && !role.async)) {
      this.front.push(`{"ph":"M","name":"thread_name","pid":${role.pid},"tid":${tidOf(track)},"args":{"name":${JSON.stringify(track.name)}}}`);
    }
  }

  begin(tsNs: number, track: Track, name: string, args: Args | null, flowIds: readonly number[] | null): void {
    let names = this.openNames.get(track.uuid);
    if (names === undefined) this.openNames.set(track.uuid, (names = []));
    names.push(name);
    if (isAsync(track)) {
      this.main.push(`{"ph":"b","cat":"virtqueue","id":${track.uuid},"name":${JSON.stringify(name)},"pid":${track.role.pid},"tid":${tidOf(track)},"ts":${us(tsNs)}${argsText(args)}}`);
    } else {
      this.main.push(`{"ph":"B","name":${JSON.stringify(name)},"pid":${track.role.pid},"tid":${tidOf(track)},"ts":${us(tsNs)}${argsText(args)}}`);
    }
    if (flowIds !== null) this.flowEvents(tsNs, track, flowIds);
  }

  end(tsNs: number, track: Track): void {
    const name = this.openNames.get(track.uuid)?.pop() ?? '';
    if (isAsync(track)) {
      this.main.push(`{"ph":"e","cat":"virtqueue","id":${track.uuid},"name":${JSON.stringify(name)},"pid":${track.role.pid},"tid":${tidOf(track)},"ts":${us(tsNs)}}`);
    } else {
      this.main.push(`{"ph":"E","pid":${track.role.pid},"tid":${tidOf(track)},"ts":${us(tsNs)}}`);
    }
  }

  instant(tsNs: number, track: Track, name: string, args: Args | null, flowIds: readonly number[] | null): void {
    this.main.push(`{"ph":"i","s":"t","name":${JSON.stringify(name)},"pid":${track.role.pid},"tid":${tidOf(track)},"ts":${us(tsNs)}${argsText(args)}}`);
    if (flowIds !== null) this.flowEvents(tsNs, track, flowIds);
  }

  counter(tsNs: number, track: Track, value: number): void {
    this.main.push(counterText(tsNs, track, value));
  }

  intervalCounter(tsNs: number, track: Track, value: number): void {
    this.front.push(counterText(tsNs, track, value));
  }

  endInterval(): void {
    this.flush(this.front);
    this.flush(this.main);
    this.front = [];
    this.main = [];
  }

  close(): number {
    this.endInterval();
    this.out.writeText('\n]}\n');
    return this.out.bytes;
  }

  private flowEvents(tsNs: number, track: Track, flowIds: readonly number[]): void {
    for (const flow of flowIds) {
      const origin = this.flows.get(flow);
      if (origin === undefined) {
        this.flows.set(flow, { tsNs, pid: track.role.pid, tid: tidOf(track), steps: 0 });
        continue;
      }
      origin.steps += 1;
      const id = `"${flow}.${origin.steps}"`;
      this.main.push(`{"ph":"s","cat":"flow","name":"flow","id":${id},"pid":${origin.pid},"tid":${origin.tid},"ts":${us(origin.tsNs)}}`);
      this.main.push(`{"ph":"f","bp":"e","cat":"flow","name":"flow","id":${id},"pid":${track.role.pid},"tid":${tidOf(track)},"ts":${us(tsNs)}}`);
    }
  }

  private flush(lines: string[]): void {
    if (lines.length === 0) return;
    this.out.writeText((this.first ? '' : ',\n') + lines.join(',\n'));
    this.first = false;
    if (!this.warned && this.out.bytes > JSON_WARN_BYTES) {
      this.warned = true;
      this.warn('the JSON trace is past 256 MB, where chrome://tracing fails; ui.perfetto.dev opens it, or export the protobuf format (no --format json)');
    }
  }
}

function isAsync(track: Track): boolean {
  return track.role.kind === 'child' && track.role.async;
}

function tidOf(track: Track): number {
  const role = track.role;
  if (role.kind === 'thread') return role.tid;
  return CHILD_TID_BASE + track.uuid;
}

function counterText(tsNs: number, track: Track, value: number): string {
  return `{"ph":"C","name":${JSON.stringify(track.name)},"pid":${track.role.pid},"ts":${us(tsNs)},"args":{"value":${value}}}`;
}

function argsText(args: Args | null): string {
  return args === null ? '' : `,"args":${JSON.stringify(args)}`;
}

/** Integer ns as µs with three decimals, exactly. */
export function us(tsNs: number): string {
  const whole = Math.floor(tsNs / 1000);
  const frac = tsNs - whole * 1000;
  return `${whole}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}
