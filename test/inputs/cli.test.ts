// record's input flags as a shell user meets them: a bad source is one `tracevisor:` line naming
// the flag (or the file and line), exit 2, and the run never starts; a good file input lands in
// the manifest and the inputs table.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, requireCli, tv } from '../executable.js';

const root = mkdtempSync(join(tmpdir(), 'tv-inputs-cli-'));
beforeAll(requireCli);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const VM_MACS = '02:00:00:00:00:01 (cluster), 02:00:00:00:00:02 (infotainment), 02:00:00:00:00:03 (gateway)';

function refused(args: string[], line: RegExp): void {
  const r = tv('record', 'cockpit', '--duration', '10ms', '-o', join(root, 'refused'), '-f', ...args);
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(line);
  expect(r.stdout).toBe('');
}

describe('record input flags: bad sources are one line, exit 2', () => {
  it('unknown bus', () => refused(['--can-input', 'body=x.log'], /^tracevisor: --can-input body=x\.log: no CAN bus "body" in scenario cockpit \(its buses: can0\)$/));
  it('no = in the spec', () => refused(['--can-input', 'can0'], /^tracevisor: --can-input can0: expected <bus>=<candump file> or <bus>=tcp:<port>$/));
  it('TCP port out of range', () => refused(['--can-input', 'can0=tcp:70000'], /^tracevisor: --can-input can0=tcp:70000: port "70000" is not a number from 0 to 65535$/));
  it('UDP port not a number', () => refused(['--net-input', '02:00:00:00:00:99=udp:x,to=02:00:00:00:00:01'], /--net-input .*: port "x" is not a number from 0 to 65535$/));
  it('unreadable file', () => refused(['--can-input', `can0=${join(root, 'missing.log')}`], /^tracevisor: --can-input can0=.*missing\.log: cannot read the file \(ENOENT\)$/));
  it('a bad line in the file names the file and line', () => {
    const file = join(root, 'bad.log');
    writeFileSync(file, '(1436509052.249713) can0 123#DEADBEEF\n(1436509052.249714) can0 123#0G\n');
    refused(['--can-input', `can0=${file}`], new RegExp(`^tracevisor: ${file.replaceAll('.', '\\.')}:2: frame "123#0G": data "0G" is not hexadecimal$`));
  });
  it('bad MAC', () => refused(['--net-input', 'zz=udp:5000,to=02:00:00:00:00:01'], /^tracevisor: --net-input zz=udp:5000,to=02:00:00:00:00:01: "zz" is not a MAC address/));
  it('no destination', () => refused(['--net-input', '02:00:00:00:00:99=udp:5000'], new RegExp(`add ,to=<mac> of a VM's net device \\(${VM_MACS.replace(/[()]/g, '\\$&')}\\)$`)));
  it('destination no VM has', () => refused(['--net-input', '02:00:00:00:00:99=udp:5000,to=02:00:00:00:00:77'], /to=02:00:00:00:00:77 is no VM's net device in scenario cockpit/));
  it("the outside host takes a VM's MAC", () => refused(['--net-input', '02:00:00:00:00:01=udp:5000,to=02:00:00:00:00:02'], /02:00:00:00:00:01 is a VM's MAC; give the outside host its own$/));
  it('the same source twice', () => refused(['--can-input', 'can0=tcp:0', '--can-input', 'can0=tcp:0'], /^tracevisor: --can-input can0=tcp:0: given twice$/));
  it.each(['abc', '0', '1e3'])('a bad --realtime factor: %s', (factor) =>
    refused(['--realtime', factor], new RegExp(`^tracevisor: --realtime: expected a speed factor above 0 \\(1 = real time, 0\\.5 = half speed\\), got "${factor}"$`)));
  it('a port already taken', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      refused(['--can-input', `can0=tcp:${port}`], new RegExp(`^tracevisor: --can-input can0=tcp:${port}: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)$`));
    } finally {
      server.close();
    }
  });
});

describe('record with a candump file', () => {
  it('writes the inputs rows and names the source in the manifest', () => {
    const file = join(root, 'cap.log');
    writeFileSync(file, '(1436509052.000000) can0 123#DEADBEEF\n(1436509052.001000) can0 124#R\n');
    const out = join(root, 'with-file');
    const r = tv('record', 'cockpit', '--duration', '20ms', '-o', out, '--can-input', `can0=${file}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}inputs {10}2 rows/m);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.inputs).toEqual([{ source: `can0=${file}`, flag: '--can-input', kind: 'file', bus: 'can0', file, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });
});

describe('record with a live source', () => {
  it('stops cleanly at its duration with a client still connected, and closes the socket', async () => {
    const out = join(root, 'live');
    const child = spawn(process.execPath, [CLI, 'record', 'cockpit', '--duration', '300ms', '-o', out, '--can-input', 'can0=tcp:0', '--realtime', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        const m = /listening on 127\.0\.0\.1:(\d+) \(tcp\)/.exec(stderr);
        if (m !== null) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`exited before listening: ${stderr}`)));
    });
    const client = connect(port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise<void>((resolve) => client.once('connect', resolve));
    client.write('(1.000000) can0 123#01\n');
    const closedByServer = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    await closedByServer;
    expect(code).toBe(0);
    expect(stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^tracevisor: --can-input can0=tcp:0: listening on/)]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.complete).toBe(true);
    expect(manifest.inputs).toEqual([{ source: 'can0=tcp:0', flag: '--can-input', kind: 'tcp', bus: 'can0', host: '127.0.0.1', port }]);
    expect(manifest.tables.inputs.rows).toBe(1);
  }, 60_000);
});
