// Real files from COVESA's own stack: a private dlt-daemon, libdlt's dlt-example-user logging to
// it (verbose and non-verbose, strings and raw data), and dlt-receive -o storing what the daemon
// sends. The file is imported and every row compared field by field with dlt-convert -a of the
// same file. Needs dlt-daemon, dlt-tools and libdlt-examples; skips without them (fails under CI).
// Every process started here is killed in a bounded time, and everything stays on loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { dltConvertAscii, splitConvertLine } from '../dlt/dlt-convert.js';
import { convertFieldsOfRow, dltRows, EXAMPLE_USER, requireTools, tempDir } from './helpers.js';
import { accepts, freePort, sleep, stop, until } from './processes.js';


describe('files made by dlt-daemon, libdlt and dlt-receive', () => {
  it('import matches dlt-convert -a field by field', async (ctx) => {
    requireTools(ctx, 'dltDaemon', 'dltReceive', 'dltConvert', 'exampleUser');
    const work = tempDir('tv-stack-');
    const port = await freePort();
    writeFileSync(join(work, 'dlt.conf'), [
      'ECUId = TVR1', 'SendContextRegistration = 1', 'SendMessageTime = 0', 'ContextLogLevel = 6',
      'ContextTraceStatus = 1', 'LoggingMode = 0', 'LoggingLevel = 3', 'RingbufferMinSize = 500000',
      'RingbufferMaxSize = 10000000', 'RingbufferStepSize = 500000', 'UDPConnectionSetup = 0',
      `ControlSocketPath = ${join(work, 'dlt-ctrl.sock')}`, '',
    ].join('\n'));
    const out = join(work, 'received.dlt');
    let daemon: ChildProcess | null = null;
    let receiver: ChildProcess | null = null;
    try {
      daemon = spawn('dlt-daemon', ['-c', join(work, 'dlt.conf'), '-t', work, '-p', String(port)], { stdio: 'ignore' });
      await until('dlt-daemon to listen on [::1]:' + port, () => accepts(port));
      receiver = spawn('dlt-receive', ['-o', out, '-p', String(port), '::1'], { stdio: 'ignore' });
      // the daemon greets a new client with a log message: the file has bytes once connected
      await until('dlt-receive to connect and store', () => {
        try {
          return statSync(out).size > 0;
        } catch {
          return false;
        }
      });
      const env = { ...process.env, DLT_PIPE_DIR: work };
      const runApp = (args: string[]) => {
        // -t: at exit, wait up to 5 s for libdlt's buffer to drain (it drops silently otherwise)
        const r = spawnSync(EXAMPLE_USER, ['-t', '5000', ...args], { env, timeout: 30_000, stdio: 'ignore' });
        expect(r.status, `dlt-example-user ${args.join(' ')}`).toBe(0);
      };
      runApp(['-n', '12', '-d', '5', '-A', 'TVAP', '-C', 'TVCT', '-l', '4', 'hello from libdlt']);
      runApp(['-n', '6', '-d', '5', '-A', 'TVAP', '-C', 'RAW', '-r', '12', 'raw']);
      runApp(['-n', '6', '-d', '5', '-A', 'TVNV', '-C', 'NV', '-g', 'non-verbose']);
      runApp(['-n', '4', '-d', '5', '-A', 'TVWN', '-C', 'WARN', '-l', '3', 'careful']);
      await sleep(500); // the daemon forwards what it got
    } finally {
      await stop(receiver);
      await stop(daemon);
    }

    const text = dltConvertAscii(readFileSync(out)).split('\n').filter((l) => l !== '');
    const traceDir = join(work, 'trace');
    const result = importDltFiles([out], traceDir);
    expect(result.damagedMessages).toBe(0);
    const rows = dltRows(traceDir);
    expect(rows.length).toBe(text.length);
    rows.forEach((row, i) => {
      expect(convertFieldsOfRow(row, i), `row ${i}: ${text[i]}`).toEqual(splitConvertLine(text[i]!));
    });
    const count = (apid: string, ctid: string) => rows.filter((r) => r.apid === apid && r.ctid === ctid).length;
    // in non-verbose mode dlt-example-user first sends five samples (message ids 10-14)
    expect([count('TVAP', 'TVCT'), count('TVAP', 'RAW'), count('TVNV', 'NV'), count('TVWN', 'WARN')]).toEqual([12, 6, 5 + 6, 4]);
    expect(rows.filter((r) => r.apid === 'TVNV').every((r) => r.verbose === false && r.message_id !== null)).toBe(true);
    expect(rows.find((r) => r.apid === 'TVWN')).toMatchObject({ ecu: 'TVR1', type: 'log', level: 'warn', lifecycle: 1 });
    expect(rows.find((r) => r.ctid === 'TVCT')!.payload).toMatch(/hello from libdlt/);
  }, 90_000);
});
