// The clock fit of imported multi-ECU logs (issue 11 §4, §5: "the fit's speed on a 1 M-message
// multi-ECU import"): four ECU files of 250 k messages each, written with our encoder from a
// known truth — each ECU's boot on the collector's clock, its rate error, two lifecycles (a
// reboot half way), transport delays of 0-300 µs with one message in ten delayed up to 20 ms —
// imported as `tracevisor import dlt` does, then src/query/clock-fit.ts createClockFit (the
// step the store's build runs: read the timestamped dlt rows, fit each lifecycle's lower
// envelope, write dlt_clock_fit) timed alone on a DuckDB connection holding the dlt table,
// repeated. Also the fit's error against the truth: the boot (minus the smallest delay drawn,
// which the envelope cannot see below) and the rate.

import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DltLogLevel, DltType, encodeMessage, type DltMessage } from '../src/formats/dlt/index.js';
import { importDltFiles } from '../src/formats/dlt/import.js';
import { createClockFit, CLOCK_FIT_TABLE } from '../src/query/clock-fit.js';
import { createTraceTables, loadTable } from '../src/query/load.js';
import { buildConfig } from '../src/query/settings.js';
import { openCheckedTrace } from '../src/trace/open.js';
import { minMedian, type MinMedian } from './stats.js';

const ECUS = 4;
const COLLECTOR_START_S = 1_700_000_000;
const MESSAGE_GAP_US = 1000; // one message per ECU per ms of true time

interface EcuTruth {
  ecu: string;
  /** Collector µs (from COLLECTOR_START_S) at the ECU's local 0, per lifecycle. */
  bootUs: [number, number];
  ratePpm: number;
  /** The smallest transport delay drawn per lifecycle, µs. */
  minDelayUs: [number, number];
}

export interface ClockFitBench {
  messages: number;
  ecus: number;
  lifecycles: number;
  fitMs: MinMedian;
  /** messages per second through createClockFit, of the median */
  messagesPerSec: number;
  /** the largest |estimated boot - (true boot + smallest delay)| over the lifecycles, µs */
  bootErrorUsMax: number;
  /** the largest |estimated rate - true rate| over the lifecycles, ppb */
  rateErrorPpbMax: number;
  rounds: number;
}

/** A small deterministic generator (xorshift32): the same files every run. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Writes one ECU's file; returns its truth. */
function writeEcu(path: string, index: number, perEcu: number): EcuTruth {
  const random = xorshift(0x9e3779b9 * (index + 1));
  const ecu = `ECU${index + 1}`;
  const ratePpm = [-40, 25, 60, -15][index % 4]!;
  const half = perEcu >> 1;
  // the ECU boots 0.5-2 s after the collector, and again 3 s after its first lifecycle's end
  const boot0 = 500_000 + index * 500_000;
  const boot1 = boot0 + half * MESSAGE_GAP_US + 3_000_000;
  const bootUs: [number, number] = [boot0, boot1];
  const minDelayUs: [number, number] = [Infinity, Infinity];
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(1 << 20);
  let used = 0;
  try {
    for (let i = 0; i < perEcu; i++) {
      const life = i < half ? 0 : 1;
      const localUs = (i - (life === 0 ? 0 : half)) * MESSAGE_GAP_US + 137;
      // true time (collector µs) of the local instant: local = (true - boot)(1 + rate)
      const trueUs = bootUs[life]! + localUs / (1 + ratePpm * 1e-6);
      const delayUs = random() < 0.1 ? random() * 20_000 : random() * 300;
      minDelayUs[life] = Math.min(minDelayUs[life]!, delayUs);
      const storedUs = Math.floor(trueUs + delayUs);
      const m: DltMessage = {
        storage: { seconds: COLLECTOR_START_S + Math.floor(storedUs / 1e6), microseconds: storedUs % 1e6, ecu: 'RECV' },
        ecu,
        sessionId: 1000 + life,
        timestamp: Math.floor(localUs / 100), // 0.1 ms units
        counter: i & 0xff,
        bigEndian: false,
        payload: new Uint8Array(0),
        extended: { verbose: true, type: DltType.LOG, subtype: DltLogLevel.INFO, apid: 'APP', ctid: 'CTX', noar: 1 },
        args: [{ kind: 'uint', bits: 32, value: i }],
      };
      const bytes = encodeMessage(m, { storageHeader: true });
      if (used + bytes.length > chunk.length) {
        writeSync(fd, chunk, 0, used);
        used = 0;
      }
      chunk.set(bytes, used);
      used += bytes.length;
    }
    writeSync(fd, chunk, 0, used);
  } finally {
    closeSync(fd);
  }
  return { ecu, bootUs, ratePpm, minDelayUs };
}

export async function benchClockFit(opts: { messages?: number; rounds?: number } = {}): Promise<ClockFitBench> {
  const messages = opts.messages ?? 1_000_000;
  const rounds = opts.rounds ?? 5;
  const perEcu = Math.floor(messages / ECUS);
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-fit-'));
  try {
    const files = Array.from({ length: ECUS }, (_, i) => join(dir, `ecu${i + 1}.dlt`));
    const truths = files.map((f, i) => writeEcu(f, i, perEcu));
    const traceDir = join(dir, 'trace');
    const imported = importDltFiles(files, traceDir);
    const instance = await DuckDBInstance.create(':memory:', buildConfig());
    const connection = await instance.connect();
    try {
      await createTraceTables(connection, ['dlt']);
      await loadTable(connection, openCheckedTrace(traceDir, 'verify'), 'dlt');
      const ms: number[] = [];
      for (let r = 0; r < rounds; r++) {
        await connection.run(`DROP TABLE IF EXISTS ${CLOCK_FIT_TABLE}`);
        const t0 = performance.now();
        await createClockFit(connection);
        ms.push(performance.now() - t0);
      }
      const fits = (await connection.runAndReadAll(
        `SELECT ecu, lifecycle, boot_ns, rate_ppb FROM ${CLOCK_FIT_TABLE} ORDER BY ecu, lifecycle`,
      )).getRows() as [string, number, bigint, number][];
      let bootErrorUsMax = 0;
      let rateErrorPpbMax = 0;
      for (const [ecu, lifecycle, bootNs, ratePpb] of fits) {
        const truth = truths.find((t) => t.ecu === ecu)!;
        const life = lifecycle - 1;
        // collector = boot + local / (1 + rate): the fit's rate is 1/(1 + rate) - 1 in ppb
        const trueRatePpb = (1 / (1 + truth.ratePpm * 1e-6) - 1) * 1e9;
        const bootUs = Number(bootNs - BigInt(COLLECTOR_START_S) * 1_000_000_000n) / 1000;
        bootErrorUsMax = Math.max(bootErrorUsMax, Math.abs(bootUs - (truth.bootUs[life]! + truth.minDelayUs[life]!)));
        rateErrorPpbMax = Math.max(rateErrorPpbMax, Math.abs(ratePpb - trueRatePpb));
      }
      const fitMs = minMedian(ms);
      return {
        messages: imported.messages,
        ecus: ECUS,
        lifecycles: fits.length,
        fitMs,
        messagesPerSec: imported.messages / (fitMs.median / 1000),
        bootErrorUsMax,
        rateErrorPpbMax,
        rounds,
      };
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatClockFitBench(b: ClockFitBench): string {
  return [
    `clock fit of an imported multi-ECU log (${b.messages} messages, ${b.ecus} ECUs, ${b.lifecycles} lifecycles; ` +
      `dlt_clock_fit as the store's build makes it, ${b.rounds} rounds)`,
    `  fit                       ${b.fitMs.min.toFixed(0)} / ${b.fitMs.median.toFixed(0)} ms min/median, ` +
      `${(b.messagesPerSec / 1e6).toFixed(2)} M messages/s`,
    `  against the truth         boot within ${b.bootErrorUsMax.toFixed(0)} µs (DLT timestamps tick 100 µs), ` +
      `rate within ${b.rateErrorPpbMax.toFixed(0)} ppb`,
  ].join('\n');
}
