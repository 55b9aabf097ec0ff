// Shared by the DLT interop tests: temp dirs, the COVESA tools (skip without them, fail under
// CI=true), small message and file builders, and reading a trace's dlt table back as rows.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMessages, type DltArg, type DltMessage } from '../../src/formats/dlt/index.js';
import { Trace } from '../../src/trace/index.js';
import { tempDir } from '../trace/helpers.js';

export { tempDir };

export const EXAMPLE_USER = '/usr/lib/libdlt-examples/dlt-example-user';

const hasCommand = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

export const tools = {
  dltConvert: hasCommand('dlt-convert'),
  dltReceive: hasCommand('dlt-receive'),
  dltDaemon: hasCommand('dlt-daemon'),
  exampleUser: existsSync(EXAMPLE_USER),
};

const PACKAGE: Record<keyof typeof tools, string> = {
  dltConvert: 'dlt-convert (Debian package dlt-tools)',
  dltReceive: 'dlt-receive (Debian package dlt-tools)',
  dltDaemon: 'dlt-daemon (Debian package dlt-daemon)',
  exampleUser: `${EXAMPLE_USER} (Debian package libdlt-examples)`,
};

/** Skips the test (with the reason) when a tool is missing; under CI=true, fails instead. */
export function requireTools(ctx: { skip: (condition: boolean, note?: string) => void }, ...names: Array<keyof typeof tools>): void {
  const missing = names.filter((n) => !tools[n]).map((n) => PACKAGE[n]);
  if (missing.length === 0) return;
  const reason = `not installed: ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must install it (.ci/run)`);
  ctx.skip(true, reason);
}

export const SECONDS = 1_700_000_000; // 2023/11/14 22:13:20 UTC

export interface LogSpec {
  /** storage time, µs after SECONDS */
  us: number;
  ecu?: string;
  /** 0.1 ms; undefined: no WTMS */
  ts?: number;
  counter?: number;
  apid?: string;
  ctid?: string;
  session?: number;
  text?: string;
  level?: number;
}

/** A verbose info log message with a storage header, built from a few fields. */
export function logMessage(s: LogSpec): DltMessage {
  const args: DltArg[] = [{ kind: 'string', coding: 'ascii', value: s.text ?? `m${s.us}` }];
  const m: DltMessage = {
    storage: { seconds: SECONDS + Math.floor(s.us / 1e6), microseconds: s.us % 1e6, ecu: 'RECV' },
    ecu: s.ecu ?? 'ECU1', counter: s.counter ?? 0, bigEndian: false,
    extended: { verbose: true, type: 0, subtype: s.level ?? 4, apid: s.apid ?? 'APP', ctid: s.ctid ?? 'CTX', noar: 1 },
    args, payload: new Uint8Array(0),
  };
  if (s.ts !== undefined) m.timestamp = s.ts;
  if (s.session !== undefined) m.sessionId = s.session;
  return m;
}

/** Writes messages as a DLT storage file in `dir`; returns the path. */
export function writeDlt(dir: string, name: string, messages: DltMessage[] | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, messages instanceof Uint8Array ? messages : encodeMessages(messages, { storageHeader: true }));
  return path;
}

/** Every row of a trace's dlt table as plain objects (bigint for 64-bit columns). */
export function dltRows(dir: string): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const batch of Trace.open(dir).batches('dlt')) {
    for (const row of batch) {
      const plain = { ...(row!.toJSON() as Record<string, unknown>) };
      if (plain.payload_raw instanceof Uint8Array) plain.payload_raw = new Uint8Array(plain.payload_raw);
      rows.push(plain);
    }
  }
  return rows;
}

/** The fields dlt-convert -a prints, computed from a dlt table row. */
export function convertFieldsOfRow(row: Record<string, unknown>, index: number) {
  const id = (v: unknown) => (v === null || v === '' ? '----' : String(v).slice(0, 4).padEnd(4, '-'));
  const ns = row.ts_ns as bigint;
  const date = new Date(Number(ns / 1_000_000n)).toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '/');
  const micros = String((ns % 1_000_000_000n) / 1000n).padStart(6, '0');
  const htyp = (row.htyp as number | null) ?? 0x3d;
  return {
    index: String(index),
    time: `${date}.${micros}`,
    timestamp: (htyp & 0x10) !== 0 ? String((row.local_ts_ns as bigint) / 100_000n).padStart(10) : '----------',
    counter: String(row.msg_counter).padStart(3, '0'),
    ecu: id(row.ecu),
    apid: id(row.apid),
    ctid: id(row.ctid),
    type: row.subtype === null ? '---' : (row.type as string | null) ?? '',
    subtype: row.subtype === null ? '---' : /^\d+$/.test(row.subtype as string) ? '' : (row.subtype as string),
    mode: row.verbose ? 'V' : 'N',
    noar: row.subtype === null ? '-' : String(row.noar),
    payload: row.payload as string,
  };
}
