import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, parseScenario, listBuiltinScenarios } from '../../src/scenario/load.js';
import { durationPattern, parseDuration } from '../../src/scenario/duration.js';
import { problems } from './problems.js';

const minimalVm = { name: 'a', ecu: 'ECU1', program: { type: 'idle' } };

describe('scenario validation', () => {
  test('built-in scenarios are valid and the default models the cockpit', () => {
    const names = listBuiltinScenarios().map((s) => s.name);
    expect(names).toContain('cockpit');
    const cockpit = loadScenario('cockpit');
    const vcpus = cockpit.vms.reduce((n, vm) => n + vm.vcpus, 0);
    expect(vcpus).toBeGreaterThan(cockpit.pcpus); // so steal time appears
    expect(new Set(cockpit.vms.map((vm) => vm.program.type))).toEqual(new Set(['cluster', 'infotainment', 'gateway']));
    expect(new Set(cockpit.vms.map((vm) => vm.clock.driftPpb)).size).toBe(3);
    expect(cockpit.ecus.length).toBeGreaterThan(0);
  });

  test('defaults fill in and durations are parsed to integer ns', () => {
    const s = parseScenario({ name: 'min', durationNs: '1.5s', vms: [minimalVm] }, 'x');
    expect(s.durationNs).toBe(1_500_000_000);
    expect(s.vms[0]!.vcpus).toBe(1);
    expect(s.seed).toBe(1);
  });

  test('each problem is one line naming the field path', () => {
    const lines = problems({
      name: 'Bad Name',
      pcpus: 0,
      vms: [{ name: 'a', ecu: 'TOOLONG', program: { type: 'cluster', framePeriodNs: '3 parsecs' } }],
    });
    expect(lines).toEqual([
      'name: expected a lowercase name (a-z, 0-9, _, -)',
      'pcpus: Too small: expected number to be >=1',
      'vms[0].ecu: expected 1-4 printable ASCII characters (a DLT id)',
      'vms[0].program.framePeriodNs: expected integer nanoseconds or a duration such as "16ms" or "2.5s", got "3 parsecs"',
    ]);
  });

  test('unknown fields and program types are refused', () => {
    expect(problems({ name: 'a', vms: [minimalVm], colour: 'red' })[0]).toMatch(/colour/);
    expect(problems({ name: 'a', vms: [{ ...minimalVm, program: { type: 'doom' } }] })[0]).toMatch(/^vms\[0\]\.program\.type:/);
  });

  test('cross references: a CAN device on a bus that does not exist, duplicate names and MACs', () => {
    const lines = problems({
      name: 'x',
      vms: [
        { ...minimalVm, devices: [{ type: 'can', bus: 'can9' }, { type: 'net', mac: '02:00:00:00:00:01' }] },
        { ...minimalVm, devices: [{ type: 'net', mac: '02:00:00:00:00:01' }] },
      ],
    });
    expect(lines).toEqual([
      'vms[0].devices[0].bus: no CAN bus named "can9" in canBuses',
      'vms[1].name: duplicate: already used by vms[0].name',
      'vms[1].ecu: duplicate DLT ECU id "ECU1": already used by vms[0].ecu',
      'vms[1].devices[0].mac: duplicate: already used by vms[0].devices[1].mac',
    ]);
  });

  test('switch ports: an explicit port may meet neither another one nor one given in order', () => {
    const net = (mac: number, port?: number) => ({ type: 'net', mac: `02:00:00:00:00:0${mac}`, ...(port === undefined ? {} : { port }) });
    const lines = problems({
      name: 'x',
      vms: [
        { ...minimalVm, devices: [net(1), net(2, 5)] }, // ports 0 and 5
        { ...minimalVm, name: 'b', ecu: 'ECU2', devices: [net(3, 5), net(4, 1), net(5)] }, // 5 (taken), 1, then 1 in order (taken)
      ],
    });
    expect(lines).toEqual([
      'vms[1].devices[0].port: switch port 5: already used by vms[0].devices[1].port',
      'vms[1].devices[2]: switch port 1 (given in order): already used by vms[1].devices[1].port',
    ]);
    expect(problems({ name: 'y', vms: [{ ...minimalVm, devices: [net(1), net(2, 1), net(3, 7)] }] })).toEqual([]);
  });

  test('ECU jitter must stay below the period (frames would reorder)', () => {
    const lines = problems({
      name: 'x',
      canBuses: [{ name: 'can0', bitsPerSecond: 500000 }],
      ecus: [{ name: 'e', bus: 'can0', frames: [{ canId: 1, periodNs: '10ms', jitterNs: '10ms' }] }],
      vms: [minimalVm],
    });
    expect(lines).toEqual(['ecus[0].frames[0].jitterNs: must be smaller than periodNs']);
  });

  test('files: missing, not JSON, and invalid all name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-scn-'));
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(() => loadScenario(join(dir, 'missing.json'))).toThrow(/missing\.json: no such file/);
    expect(() => loadScenario(join(dir, 'bad.json'))).toThrow(/bad\.json: not valid JSON/);
  });

  test('durations', () => {
    expect(parseDuration('16ms')).toBe(16_000_000);
    expect(parseDuration('0.1s')).toBe(100_000_000);
    expect(parseDuration('2us')).toBe(2_000);
    expect(parseDuration('1m')).toBe(60_000_000_000);
    expect(parseDuration('1.0000000001s')).toBeNull(); // finer than 1 ns
    expect(parseDuration('ten s')).toBeNull();
  });

  test('signed durations, and the JSON Schema pattern agrees with the parser', () => {
    expect(parseDuration('-5ms')).toBeNull(); // only where a field may be negative
    expect(parseDuration('-5ms', { signed: true })).toBe(-5_000_000);
    expect(parseDuration('+2s')).toBe(2_000_000_000);
    expect(Object.is(parseDuration('-0s', { signed: true }), 0)).toBe(true);
    const texts = ['16ms', ' 2.5s ', '-5ms', '+2s', '1h', '20 ns', '800µs', '1.5', 'ms', '--1s', '1e3ns', '2 s'];
    for (const signed of [false, true]) {
      const pattern = new RegExp(durationPattern(signed), 'u');
      for (const text of texts) {
        // (none of these is finer than 1 ns or beyond 2^53 ns, which only the parser can refuse)
        expect(pattern.test(text), `${text} signed=${signed}`).toBe(parseDuration(text, { signed }) !== null);
      }
    }
  });
});
