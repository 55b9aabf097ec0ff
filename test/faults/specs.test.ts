// Fault specs (issue 9 §5): the scenario's faults[] and `record --fault type:key=value,…` take the
// same fields; a malformed one names its field (scenario: faults[i].field; CLI: --fault <spec>:
// field), and the CLI exits 2 with one line per problem.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { parseFaultSpec } from '../../src/faults/cli-spec.js';
import { ScenarioError, parseScenario } from '../../src/scenario/load.js';
import { requireCli, tv } from '../executable.js';
import { CLUSTER_MAC, MS, bridge } from './run.js';

function problems(faults: unknown[]): string[] {
  try {
    parseScenario(bridge({ faults }), 'test');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

function cliProblem(spec: string): string {
  try {
    parseFaultSpec(spec);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  return '';
}

describe('scenario faults[]: a malformed fault names its field', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown type', { type: 'meteor' }, /^faults\[0\]\.type: unknown fault type \(known: link_loss, /],
    ['unknown key', { type: 'link_loss', rate: 5 }, /^faults\[0\]: unknown field "rate" \(link_loss takes: mac, ppm, at, for\)/],
    ['bad duration', { type: 'link_loss', at: '2 fortnights' }, /^faults\[0\]\.at: expected integer nanoseconds or a duration/],
    ['ppm > 1e6', { type: 'link_loss', ppm: 1_000_001 }, /^faults\[0\]\.ppm: must be at most 1000000/],
    ['window starts after the run', { type: 'vcpu_stall', vm: 'cluster', at: '1s', for: '1ms' }, /^faults\[0\]\.at: starts at 1s, not before the run ends \(durationNs 1s\)/],
    ['window ends after the run', { type: 'link_loss', at: '900ms', for: '200ms' }, /^faults\[0\]\.for: the window ends at 1100ms, past the run's end/],
    ['unknown MAC', { type: 'link_corrupt', mac: '02:00:00:00:00:99' }, /^faults\[0\]\.mac: no net device with MAC 02:00:00:00:00:99/],
    ['unknown bus', { type: 'can_error', bus: 'can7' }, /^faults\[0\]\.bus: no CAN bus named "can7"/],
    ['unknown vm', { type: 'clock_step', vm: 'radio', at: '1ms', by: '1ms' }, /^faults\[0\]\.vm: no VM named "radio" in vms \(VMs: cluster, gateway\)/],
    ['unknown CAN node', { type: 'can_bus_off', node: 'cluster', at: '1ms', for: '1ms' }, /^faults\[0\]\.node: no ECU and no VM with a CAN device named "cluster"/],
    ['device out of range', { type: 'desc_corrupt', vm: 'cluster', device: 2 }, /^faults\[0\]\.device: VM "cluster" has 2 device\(s\)/],
    ['vCPU out of range', { type: 'vcpu_stall', vm: 'cluster', vcpu: 1, at: '1ms', for: '1ms' }, /^faults\[0\]\.vcpu: VM "cluster" has 1 vCPU\(s\)/],
    ['bus cut without a budget', { type: 'bus_cut', vm: 'gateway', percent: 50, at: '1ms', for: '1ms' }, /^faults\[0\]\.vm: VM "gateway" has no busBudget/],
    ['bus cut with both amounts', { type: 'bus_cut', vm: 'cluster', percent: 50, bytesPerPeriod: 10, at: '1ms', for: '1ms' }, /^faults\[0\]\.percent: give exactly one of percent and bytesPerPeriod/],
    ['missing window', { type: 'can_bus_off', node: 'esc' }, /^faults\[0\]\.at: /],
  ];
  for (const [what, fault, expected] of cases) {
    it(what, () => {
      const found = problems([fault]);
      expect(found.length, found.join('\n')).toBeGreaterThan(0);
      expect(found[0]).toMatch(expected);
    });
  }

  it('two bus cuts of one VM must not overlap', () => {
    const cut = (at: string) => ({ type: 'bus_cut', vm: 'cluster', percent: 50, at, for: '100ms' });
    expect(problems([cut('100ms'), cut('150ms')])).toEqual([
      'faults[1].at: overlaps faults[0], another bus_cut of VM "cluster" (give them disjoint windows)',
    ]);
    expect(problems([cut('100ms'), cut('200ms')])).toEqual([]);
  });

  it('at most 16 faults, each with a PRNG stream of its own', () => {
    const many = Array.from({ length: 17 }, () => ({ type: 'link_loss', ppm: 0 }));
    expect(problems(many)).toEqual(['faults: at most 16 faults (each draws from a PRNG stream of its own)']);
  });

  it('the index in the path is the fault\'s', () => {
    expect(problems([{ type: 'link_loss' }, { type: 'link_loss', ppm: -1 }])).toEqual(['faults[1].ppm: must be at least 0']);
  });
});

describe('record --fault: the same fields on the command line', () => {
  it('parses into the scenario\'s object, durations as strings, integers as numbers', () => {
    const cli = parseFaultSpec(`link_loss:mac=${CLUSTER_MAC},ppm=250000,at=200ms,for=0.5s`).fault;
    expect(cli).toEqual({ type: 'link_loss', mac: CLUSTER_MAC, ppm: 250_000, at: '200ms', for: '0.5s' });
    const viaCli = parseScenario(bridge({ faults: [cli] }), 'test').faults;
    const viaFile = parseScenario(bridge({ faults: [{ type: 'link_loss', mac: CLUSTER_MAC, ppm: 250_000, at: 200 * MS, for: 500 * MS }] }), 'test').faults;
    expect(viaCli).toEqual(viaFile);
    expect(viaCli[0]).toMatchObject({ at: 200 * MS, for: 500 * MS });
  });

  const cases: [string, string, string][] = [
    ['unknown type', 'meteor', '--fault meteor: type: unknown fault type'],
    ['unknown key', 'link_loss:rate=5', '--fault link_loss:rate=5: unknown field "rate" (link_loss takes: mac, ppm, at, for)'],
    ['bad duration', 'link_loss:at=soon', '--fault link_loss:at=soon: at: expected integer nanoseconds or a duration'],
    ['ppm > 1e6', 'link_loss:ppm=2000000', '--fault link_loss:ppm=2000000: ppm: must be at most 1000000'],
    ['no value', 'link_loss:ppm', '--fault link_loss:ppm: expected key=value, got "ppm"'],
    ['a key twice', 'link_loss:ppm=1,ppm=2', '--fault link_loss:ppm=1,ppm=2: ppm: given twice'],
    ['no type', ':ppm=1', '--fault ":ppm=1": expected <type>[:key=value,…]'],
  ];
  for (const [what, spec, expected] of cases) {
    it(what, () => expect(cliProblem(spec)).toContain(expected));
  }
});

describe('tracevisor record --fault (the executable)', () => {
  let dir = '';
  beforeAll(() => {
    requireCli();
    dir = mkdtempSync(join(tmpdir(), 'tv-faults-'));
    writeFileSync(join(dir, 'bridge.json'), JSON.stringify(bridge()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a malformed spec: one line naming the option and the field, exit 2', () => {
    const r = tv('record', join(dir, 'bridge.json'), '-o', join(dir, 'out'), '--fault', 'link_loss:ppm=2000000');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tracevisor: --fault link_loss:ppm=2000000: ppm: must be at most 1000000 (parts per million: 1000000 is every one)\n');
  });

  it('a spec naming what the scenario lacks: named as given, exit 2', () => {
    const r = tv('record', join(dir, 'bridge.json'), '-o', join(dir, 'out'), '--duration', '100ms', '--fault', 'vcpu_stall:vm=cluster,at=50ms,for=80ms');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*bridge\.json: --fault vcpu_stall:vm=cluster,at=50ms,for=80ms: for: the window ends at 130ms, past the run's end \(durationNs 100ms\)\n$/);
  });

  it('faults from the file and from --fault run together', () => {
    writeFileSync(join(dir, 'with.json'), JSON.stringify(bridge({ durationNs: '200ms', faults: [{ type: 'clock_step', vm: 'cluster', at: '50ms', by: '1ms' }] })));
    const out = join(dir, 'run');
    const r = tv('record', join(dir, 'with.json'), '-o', out, '--fault', 'link_loss:ppm=1000000', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const q = tv('query', out, "SELECT id, count(*) AS n FROM events WHERE kind = 'fault_injected' AND val <> 0 GROUP BY id ORDER BY id", '--format', 'csv');
    expect(q.code).toBe(0);
    // link_loss (1): its start edge (val 1; its lost frames have val 0); clock_step (6): its one
    // row (val = by). CSV lines end in CRLF (RFC 4180).
    expect(q.stdout).toBe('id,n\r\n1,1\r\n6,1\r\n');
  });
});
