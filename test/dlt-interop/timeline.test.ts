// One timeline for the logs of several ECUs (issue 11 §4): each lifecycle's clock fitted against
// the collector's (dlt/clock_fit) and every message put on the common time base (dlt/timeline),
// checked where the truth is known:
// - real captures from COVESA's stack: two dlt-daemons (two ECUs), an application logging to
//   each through libdlt, one dlt-receive per daemon storing a file; libdlt stamps messages with
//   CLOCK_MONOTONIC and dlt-receive stores them with the wall clock, so each ECU's boot on the
//   collector's clock is this host's wall time at monotonic 0, which the test reads itself;
// - a recorded run exported as DLT and imported again, where the run's clock table says when
//   each message was really logged.
// Needs dlt-daemon, dlt-tools and libdlt-examples for the first; skips without (fails under CI).

import { spawn, type ChildProcess } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { QuerySession } from '../../src/query/index.js';
import { requireCli, tv } from '../executable.js';
import { EXAMPLE_USER, requireTools, tempDir } from './helpers.js';
import { accepts, freePort, sleep, stop, until } from './processes.js';


/** This host's wall-clock time at CLOCK_MONOTONIC 0, ns (Date.now has ms resolution: ± 1 ms). */
function wallAtMonotonicZero(): bigint {
  return BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
}

interface Ecu {
  id: string;
  work: string;
  port: number;
  file: string;
  daemon: ChildProcess | null;
  receiver: ChildProcess | null;
}

async function startEcu(root: string, id: string): Promise<Ecu> {
  const work = tempDir(`tv-timeline-${id}-`);
  const port = await freePort();
  writeFileSync(join(work, 'dlt.conf'), [
    `ECUId = ${id}`, 'SendContextRegistration = 0', 'SendMessageTime = 0', 'ContextLogLevel = 6',
    'ContextTraceStatus = 1', 'LoggingMode = 0', 'LoggingLevel = 3', 'RingbufferMinSize = 500000',
    'RingbufferMaxSize = 10000000', 'RingbufferStepSize = 500000', 'UDPConnectionSetup = 0',
    `ControlSocketPath = ${join(work, 'dlt-ctrl.sock')}`, '',
  ].join('\n'));
  const ecu: Ecu = { id, work, port, file: join(root, `${id}.dlt`), daemon: null, receiver: null };
  ecu.daemon = spawn('dlt-daemon', ['-c', join(work, 'dlt.conf'), '-t', work, '-p', String(port)], { stdio: 'ignore' });
  await until(`dlt-daemon ${id} to listen`, () => accepts(port));
  ecu.receiver = spawn('dlt-receive', ['-o', ecu.file, '-p', String(port), '::1'], { stdio: 'ignore' });
  await until(`dlt-receive of ${id} to store`, () => {
    try {
      return statSync(ecu.file).size > 0;
    } catch {
      return false;
    }
  });
  return ecu;
}

function logFrom(ecu: Ecu, apid: string): Promise<void> {
  // 30 messages 40 ms apart: 1.2 s of log; -t waits for libdlt's buffer to drain at exit
  return new Promise((resolve, reject) => {
    const app = spawn(EXAMPLE_USER, ['-t', '5000', '-n', '30', '-d', '40', '-A', apid, '-C', 'TIME', '-l', '4', `tick from ${ecu.id}`], {
      env: { ...process.env, DLT_PIPE_DIR: ecu.work },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => app.kill('SIGKILL'), 30_000);
    app.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`dlt-example-user for ${ecu.id} exited ${code}`));
    });
  });
}

let session: QuerySession | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

type Row = Record<string, unknown>;

async function named(dir: string, name: string): Promise<Row[]> {
  session?.close();
  session = await QuerySession.open(dir);
  const r = await session.runNamed(name);
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

describe('one timeline for several ECUs', () => {
  it('fits each real dlt-daemon ECU to the host clock within the transport delay of the truth', async (ctx) => {
    requireTools(ctx, 'dltDaemon', 'dltReceive', 'exampleUser');
    const root = tempDir('tv-timeline-');
    const ecus: Ecu[] = [];
    const truths: bigint[] = [];
    try {
      for (const id of ['TVA1', 'TVB2']) ecus.push(await startEcu(root, id));
      truths.push(wallAtMonotonicZero());
      await Promise.all([logFrom(ecus[0]!, 'APPA'), logFrom(ecus[1]!, 'APPB')]);
      truths.push(wallAtMonotonicZero());
      await sleep(500); // the daemons forward what they got
    } finally {
      for (const e of ecus) {
        await stop(e.receiver);
        await stop(e.daemon);
      }
    }
    const trace = join(root, 'trace');
    const result = importDltFiles(ecus.map((e) => e.file), trace);
    expect(result.damagedMessages).toBe(0);
    const fits = await named(trace, 'dlt/clock_fit');
    expect(fits.map((f) => f.ecu)).toEqual(['TVA1', 'TVB2']);
    // the truth: a message stamped `local` (CLOCK_MONOTONIC) was logged at wall time
    // wallAtMonotonicZero + local, read before and after the capture (± 1 ms each: Date.now)
    const low = truths[0]! < truths[1]! ? truths[0]! : truths[1]!;
    const high = truths[0]! > truths[1]! ? truths[0]! : truths[1]!;
    const timeline = await named(trace, 'dlt/timeline');
    const jitter = Math.max(...fits.map((f) => Number(f.delay_ns_max)));
    for (const f of fits) expect(f.messages as bigint, `${f.ecu} messages`).toBeGreaterThanOrEqual(30n);
    for (const r of timeline) {
      const local = r.local_ts_ns as bigint;
      const common = r.common_ts_ns as bigint;
      // the fitted line runs along the fastest messages: no message is put later than its
      // slowest delay after it was logged, nor earlier than that before it
      const late = Number(common - (low + local)) - 2e6;
      const early = Number(high + local - common) - 2e6;
      expect(late, `${r.ecu} ${r.payload}: ${late} ns late`).toBeLessThanOrEqual(jitter);
      expect(early, `${r.ecu} ${r.payload}: ${early} ns early`).toBeLessThanOrEqual(jitter);
    }
    // the timeline keeps each ECU's own order and interleaves the two
    for (const id of ['TVA1', 'TVB2']) {
      const own = timeline.filter((r) => r.ecu === id).map((r) => r.local_ts_ns as bigint);
      expect(own.every((t, i) => i === 0 || own[i - 1]! <= t), `${id} in its own order`).toBe(true);
    }
    const switches = timeline.slice(1).filter((r, i) => r.ecu !== timeline[i]!.ecu).length;
    expect(switches).toBeGreaterThan(10);
  }, 120_000);

  it('re-imports a recorded run and lands each message within the transport jitter of when it was logged', async () => {
    requireCli();
    const root = tempDir('tv-timeline-run-');
    const run = join(root, 'run');
    // the hostile scenario: no clock steps, no clock sync (a step bends the fit's line)
    expect(tv('record', 'hostile', '-o', run, '--duration', '2s', '--snapshot-every', '0').code).toBe(0);
    const file = join(root, 'run.dlt');
    expect(tv('export', 'dlt', run, '-o', file).code).toBe(0);
    const imported = join(root, 'imported');
    importDltFiles([file], imported);

    const truth = await named(run, 'dlt/timeline'); // recorded: true_ts_ns from the clock samples
    const recordedFits = await named(run, 'dlt/clock_fit');
    const again = await named(imported, 'dlt/timeline');
    expect(again).toHaveLength(truth.length);
    const jitter = Math.max(...recordedFits.map((f) => Number(f.delay_ns_max)));
    // the same messages (the export keeps order; the timeline sorts both the same way, the
    // imported times floored to the storage header's µs)
    const key = (r: Row) => `${r.ecu} ${r.lifecycle} ${r.local_ts_ns} ${r.msg_counter} ${r.payload}`;
    const truthOf = new Map(truth.map((r) => [key(r), r.true_ts_ns as bigint]));
    for (const r of again) {
      const t = truthOf.get(key(r));
      expect(t, key(r)).toBeDefined();
      const error = Number((r.common_ts_ns as bigint) - t!);
      // ≥ 0 up to the DLT timestamp's 0.1 ms and the storage header's 1 µs; ≤ the run's jitter
      expect(error, key(r)).toBeGreaterThanOrEqual(-101_000);
      expect(error, key(r)).toBeLessThanOrEqual(jitter + 101_000);
    }
    expect(again.every((r) => r.error_ns === null)).toBe(true); // no truth in an imported log
  }, 120_000);
});
