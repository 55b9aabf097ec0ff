// `tracevisor replay <trace>` with the time-travel flags, as a shell user runs it: output, the
// one JSON object of --format json, and one-line errors with exit 2.
import { beforeAll, describe, expect, it } from 'vitest';
import { requireCli, tv } from '../executable.js';
import { recordTiny } from './tiny.js';

let okTrace: string;
let missTrace: string;

beforeAll(async () => {
  requireCli();
  okTrace = await recordTiny(4_000_000);
  missTrace = await recordTiny(12_000_000);
});

describe('replay --until / --break / --state / --memory', () => {
  it('--until without --state says where it stopped', () => {
    const r = tv('replay', okTrace, '--until', '3ms');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^stopped at 3000000 ns \(3\.000 ms\): every event at or before it has run; the next event row gets seq \d+\n$/);
  });

  it('--state prints the tables (the vCPU running its second slice at 3 ms)', () => {
    const r = tv('replay', okTrace, '--until', '3000000', '--state');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('state at 3000000 ns');
    expect(r.stdout).toMatch(/\n\s+solo\s+0\s+running\s+0\s+2000000\s+1000000\s+4000000\s+0\s+0\s+2\n/);
    expect(r.stdout).toContain('slice end: vm 0 vcpu 0');
  });

  it('--state --format json prints one object with the documented keys', () => {
    const r = tv('replay', okTrace, '--until', '3ms', '--state', '--format', 'json');
    expect(r.code).toBe(0);
    const state = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['timeNs', 'vms', 'devices', 'links', 'canNodes', 'pending', 'stop']) expect(state).toHaveProperty(key);
    expect(state.timeNs).toBe(3_000_000);
    const vms = state.vms as { vcpus: { state: string; runNs: number }[] }[];
    expect(vms[0]!.vcpus[0]).toMatchObject({ state: 'running', runNs: 2_000_000 });
  });

  it("--break \"kind = 'deadline_miss'\" prints the recorded row of frame 0's miss", () => {
    const r = tv('replay', missTrace, '--break', "kind = 'deadline_miss'");
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^break: first event matching kind = 'deadline_miss': seq \d+ at 12000000 ns \(12\.000 ms\)$/);
    expect(lines[1]).toMatch(/^ {2}ts_ns=12000000 seq=\d+ vm=0 vcpu=-1 kind=deadline_miss dev=-1 queue=-1 id=0 len=0 val=2000000$/);
    expect(lines[2]).toMatch(/^stopped at 12000000 ns \(12\.000 ms\): right after the step that emitted seq \d+/);
  });

  it('--memory prints an xxd-style dump', () => {
    const r = tv('replay', okTrace, '--until', '3ms', '--memory', 'solo:0x2000:16');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('vm 0 (solo) gpa 0x2000, 16 bytes\n00002000: 403a 0000 0000 0000 ');
  });
});

describe('time-travel errors are one line, exit 2', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a bad time', () => ['--until', '2x'], /^tracevisor: --until "2x": expected a virtual time such as 2\.5s/],
    ['a time past the end', () => ['--until', '1s'], /^tracevisor: --until 1000000000 ns is beyond the end of the run \(25000000 ns\)\n$/],
    ['a bad predicate', () => ['--break', 'kind ='], /^tracevisor: --break "kind =": SQL error: .*the predicate is a SQL condition over events columns/],
    ['an unknown column', () => ['--break', 'kindx = 1'], /^tracevisor: --break "kindx = 1": SQL error: .*kindx/],
    ['two statements', () => ['--break', "kind = 'fault'; DROP TABLE events"], /^tracevisor: --break .*one condition only \(no ";"\)/],
    ['a predicate nothing matches', () => ['--break', "kind = 'fault'"], /^tracevisor: --break "kind = 'fault'": no recorded event of .* matches; nothing to stop at/],
    ['a memory spec without len', () => ['--memory', '0:0x2000'], /^tracevisor: --memory "0:0x2000": expected <vm>:<gpa>:<len>/],
    ['a memory len over 64 KiB', () => ['--memory', '0:0:65537'], /^tracevisor: --memory "0:0:65537": len "65537" must be 1\.\.65536 bytes/],
    ['an unknown vm', () => ['--memory', 'nosuch:0:16'], /^tracevisor: --memory "nosuch:0:16": no vm "nosuch" in this trace \(vms: 0 solo\)\n$/],
    ['an unmapped range', () => ['--memory', '0:0xfffff8:16'], /^tracevisor: --memory "0:0xfffff8:16": \[0xfffff8, 0x1000008\) is not all mapped readable in vm solo/],
    ['a bad format', () => ['--state', '--format', 'xml'], /^tracevisor: --format: expected table or json, got "xml"\n$/],
    ['--until with --break', () => ['--until', '1ms', '--break', "kind = 'fault'"], /^tracevisor: give --until <time> or --break <predicate>, not both\n$/],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      const r = tv('replay', okTrace, ...args());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it('a directory that is not a trace', () => {
    const r = tv('replay', '/nonexistent-trace-dir', '--until', '1ms');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tracevisor: /nonexistent-trace-dir: no such directory\n');
  });
});
