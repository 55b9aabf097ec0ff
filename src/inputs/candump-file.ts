// A candump -l log as a file input source (--can-input <bus>=<file>): every line parsed and
// checked before the run starts, so a bad line is one error naming the file and line and the
// run never starts. Times are relative to the first line (stamp - first stamp, exact ns).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CandumpSyntaxError, parseCandumpLine, type CandumpFrame } from '../formats/candump.js';
import type { InputFeed, PendingInput } from '../platform/run-loop.js';
import { canInputKind, encodeCanInput } from './encoding.js';
import { InputSourceError } from './errors.js';

export interface TimedFrame {
  /** ns since the first line's stamp */
  atNs: number;
  frame: CandumpFrame;
  line: number;
}

export interface CandumpFile {
  frames: TimedFrame[];
  sha256: string;
}

/** Parses a whole log; the bus is named only in messages. Throws InputSourceError. */
export function parseCandumpText(text: string, file: string, bus: string): TimedFrame[] {
  const frames: TimedFrame[] = [];
  let firstNs: bigint | null = null;
  let lastNs = 0n;
  let iface: string | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    let parsed;
    try {
      parsed = parseCandumpLine(raw);
    } catch (error) {
      if (error instanceof CandumpSyntaxError) throw new InputSourceError(`${where}: ${error.reason}`);
      throw error;
    }
    if (parsed.frame.type === 'fd') {
      throw new InputSourceError(`${where}: a CAN FD frame ("##"), but bus ${bus} is classic CAN (the core models CAN 2.0 only); remove the FD lines (grep -v '##')`);
    }
    if (iface !== null && parsed.iface !== iface) {
      throw new InputSourceError(`${where}: a frame of ${parsed.iface} after frames of ${iface}; one file feeds one bus: split it (grep ' ${parsed.iface} ')`);
    }
    iface = parsed.iface;
    firstNs ??= parsed.timeNs;
    if (parsed.timeNs < lastNs) throw new InputSourceError(`${where}: time goes back (${parsed.timeNs} ns after ${lastNs} ns); candump logs are in time order`);
    lastNs = parsed.timeNs;
    const atNs = parsed.timeNs - firstNs;
    if (atNs > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputSourceError(`${where}: more than 104 days after the first line`);
    frames.push({ atNs: Number(atNs), frame: parsed.frame, line: i + 1 });
  }
  return frames;
}

export function readCandumpFile(file: string, bus: string): CandumpFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new InputSourceError(`--can-input ${bus}=${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const frames = parseCandumpText(bytes.toString('utf8'), file, bus);
  return { frames, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The frames as a feed that knows its times: nextNs() is the next frame's relative time. */
export function candumpFeed(source: string, frames: readonly TimedFrame[]): InputFeed {
  let next = 0;
  return {
    nextNs: () => (next < frames.length ? frames[next]!.atNs : Infinity),
    take: (nowNs) => {
      const due: PendingInput[] = [];
      while (next < frames.length && frames[next]!.atNs <= nowNs) {
        const { frame } = frames[next++]!;
        due.push({ source, kind: canInputKind(frame), data: encodeCanInput(frame) });
      }
      return due;
    },
  };
}
