// Live serving (tracevisor record --dlt-port): clients get every message as dlt-daemon sends
// them, a slow client loses messages (counted) instead of slowing the run, a vanished one is
// forgotten, and none of them changes the trace. COVESA's dlt-receive reads the stream.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DltParser } from '../../src/formats/dlt/index.js';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { DltLiveServer } from '../../src/formats/dlt/live.js';
import { recordScenario } from '../../src/platform/record.js';
import { loadScenario } from '../../src/scenario/load.js';
import { dltConvertAscii } from '../dlt/dlt-convert.js';
import { cli } from './cli.js';
import { dltRows, requireTools, tempDir } from './helpers.js';

const DURATION_NS = 1_000_000_000;
const TABLES = ['events', 'dlt', 'clock', 'inputs'];

async function record(dir: string, tee?: DltLiveServer): Promise<void> {
  const scenario = loadScenario('cockpit');
  scenario.durationNs = DURATION_NS;
  await recordScenario(scenario, dir, tee !== undefined ? { tee, yieldEveryNs: 1_000_000 } : {});
}

/** A client that keeps every byte it receives. */
function collector(port: number, host = '::1'): Promise<{ socket: Socket; bytes: () => Uint8Array; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host }, () => resolve({ socket, bytes: () => Buffer.concat(chunks), ended }));
    const ended = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
  });
}

let baseline: string;
beforeAll(async () => {
  baseline = join(tempDir('tv-live-'), 'baseline');
  await record(baseline);
});

const servers: DltLiveServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function startServer(backlogBytesMax?: number): Promise<DltLiveServer> {
  const server = await DltLiveServer.start({ port: 0, ...(backlogBytesMax !== undefined ? { backlogBytesMax } : {}) });
  servers.push(server);
  return server;
}

describe('live DLT server', () => {
  it('listens on loopback only, IPv6 and IPv4', async () => {
    const server = await startServer();
    expect(server.addresses).toEqual([`[::1]:${server.port}`, `127.0.0.1:${server.port}`]);
    await server.close();
  });

  it('clients get every message as written; slow and vanished clients do not change the trace', async () => {
    const server = await startServer(4096);
    const fast = await collector(server.port);
    const fast4 = await collector(server.port, '127.0.0.1');
    const slow = await collector(server.port);
    slow.socket.pause(); // never reads: its backlog fills, then it loses messages
    const gone = await collector(server.port);
    await server.waitForClients(4);
    const dir = join(tempDir('tv-live-'), 'served');
    const run = record(dir, server);
    setImmediate(() => gone.socket.destroy()); // vanishes while the run goes
    await run;
    slow.socket.destroy();
    const stats = await server.close();
    await fast.ended;
    await fast4.ended;

    // the trace is byte-identical to the run without clients
    for (const table of TABLES) {
      expect(readFileSync(join(dir, `${table}.arrow`)).equals(readFileSync(join(baseline, `${table}.arrow`))), table).toBe(true);
    }
    // a reading client got exactly the guests' messages, in order, header-less like dlt-daemon's
    const rows = dltRows(baseline);
    for (const client of [fast, fast4]) {
      const parser = DltParser.over(client.bytes(), { framing: 'stream' });
      const got: unknown[][] = [];
      for (const f of parser.frames()) got.push([f.ecu, f.apid, f.ctid, f.counter, f.timestamp * 100_000]);
      expect(parser.stats).toEqual({ messages: rows.length, skippedBytes: 0, damagedMessages: 0 });
      expect(got).toEqual(rows.map((r) => [r.ecu, r.apid, r.ctid, r.msg_counter, Number(r.local_ts_ns)]));
    }
    expect(stats.messages).toBe(rows.length);
    expect(stats.connections).toBe(4);
    // copies for the vanished client stop once the server saw it go
    expect(stats.sent + stats.dropped).toBeGreaterThanOrEqual(3 * rows.length);
    expect(stats.sent + stats.dropped).toBeLessThanOrEqual(4 * rows.length);
  });

  it('a client that stops reading loses messages beyond its backlog, counted; others get all', async () => {
    const backlog = 64 * 1024;
    const server = await startServer(backlog);
    const slow = await collector(server.port);
    slow.socket.pause();
    const fast = await collector(server.port);
    await server.waitForClients(2);
    const wire = new Uint8Array(32 * 1024); // what the bytes are does not matter here
    const turns = 400; // 12.5 MB: more than the kernel buffers a paused loopback socket
    for (let i = 0; i < turns; i++) {
      wire[0] = i & 0xff;
      server.dlt(null as never, wire); // no row needed: the server sends the wire bytes
      await new Promise((resolve) => setImmediate(resolve));
    }
    const stats = await server.close();
    await fast.ended;
    slow.socket.destroy();
    expect(stats.messages).toBe(turns);
    expect(stats.dropped).toBeGreaterThan(0); // all of them the slow client's
    expect(stats.sent + stats.dropped).toBe(2 * turns);
    expect(fast.bytes().length).toBe(turns * wire.length);
  });

  it('COVESA dlt-receive -o stores what was served, and dlt-convert reads it', async (ctx) => {
    requireTools(ctx, 'dltReceive', 'dltConvert');
    const server = await startServer();
    const dir = tempDir('tv-live-');
    const out = join(dir, 'received.dlt');
    const receiver = spawn('dlt-receive', ['-o', out, '-p', String(server.port), '::1'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => receiver.on('exit', (code) => resolve(code)));
    try {
      const connected = server.waitForClients(1);
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('dlt-receive did not connect within 10 s')), 10_000));
      await Promise.race([connected, timeout]);
      await record(join(dir, 'served'), server);
      await server.close(); // dlt-receive exits when the server closes the connection
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
      expect(code).toBe(0);
    } finally {
      receiver.kill('SIGKILL');
    }
    const rows = dltRows(baseline);
    importDltFiles([out], join(dir, 'imported'));
    const received = dltRows(join(dir, 'imported'));
    const fields = (r: Record<string, unknown>) => [r.ecu, r.apid, r.ctid, r.session_id, r.type, r.subtype, r.msg_counter, r.noar, r.local_ts_ns, r.payload, r.payload_raw];
    expect(received.map(fields)).toEqual(rows.map(fields));
    expect(received.every((r) => r.storage_ecu === 'RECV' || r.storage_ecu === r.ecu)).toBe(true);
    expect(dltConvertAscii(readFileSync(out)).split('\n').filter((l) => l !== '').length).toBe(rows.length);
  });

  it('command line: record --dlt-port waits for a client, serves the run, reports the counts', async () => {
    const port = await freePort();
    const dir = tempDir('tv-live-');
    const run = cli('record', 'cockpit', '--duration', '500ms', '-o', join(dir, 't'), '--dlt-port', String(port), '--dlt-wait', '1');
    let client: Awaited<ReturnType<typeof collector>> | null = null;
    for (let attempt = 0; client === null && attempt < 100; attempt++) {
      client = await collector(port).catch(() => null);
      if (client === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const result = await run;
    await client!.ended;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`tracevisor: serving DLT on [::1]:${port}, 127.0.0.1:${port} (e.g. dlt-receive -a ::1 -p ${port})\n` +
      'tracevisor: waiting for 1 DLT client before the run starts\n');
    const rows = dltRows(join(dir, 't')).length;
    expect(result.stdout).toContain(`  live DLT: 1 client, ${rows} messages sent, 0 dropped (slow clients)\n`);
    const parser = DltParser.over(client!.bytes(), { framing: 'stream' });
    while (parser.next() !== null);
    expect(parser.stats.messages).toBe(rows);
    const bad = await cli('record', 'cockpit', '-o', join(dir, 'u'), '--dlt-port', 'http');
    expect(bad).toMatchObject({ code: 2, stderr: 'tracevisor: --dlt-port: expected a TCP port from 0 to 65535, got "http"\n' });
    const busy = await cli('record', 'cockpit', '-o', join(dir, 'v'), '--dlt-port', String(port), '--dlt-host', '192.0.2.1');
    expect(busy.code).toBe(2);
    expect(busy.stderr).toBe(`tracevisor: --dlt-port ${port}: cannot listen on 192.0.2.1 (EADDRNOTAVAIL)\n`);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '::1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
