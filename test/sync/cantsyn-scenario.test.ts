// clock.sync with protocol cantsyn / paravirt (issue 11 §2): defaults, and the field-path errors
// of a CAN time-sync set-up that cannot work (in the schema and through the CLI, exit 2).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { requireCli, tv } from '../executable.js';
import { master, slave, tsynScenario } from './cantsyn-run.js';

const parse = (json: unknown) => () => parseScenario(json, 'test');
type Json = { vms: { devices: unknown[]; clock: { sync?: Record<string, unknown> } }[]; canBuses: unknown[] };

describe('clock.sync cantsyn', () => {
  it('defaults: id 0x0C0, domain 0, SYNC every 1 s, FUP timeout 100 ms, no CRC, rate correction', () => {
    const s = parseScenario(tsynScenario([{ name: 'gw', sync: master() }, { name: 'cl', sync: slave() }]), 'test');
    expect(s.vms[1]!.clock.sync).toEqual({
      protocol: 'cantsyn', role: 'slave', bus: 'body', canId: 0x0c0, extended: false, timeDomain: 0,
      syncPeriodNs: 1_000_000_000, followUpTimeoutNs: 100_000_000, crc: false, correction: 'rate', maxFrequencyPpb: 500_000,
    });
  });

  it('gptp stays as it was next to the new protocols', () => {
    const s = parseScenario(tsynScenario([{ name: 'gw', sync: master() }, { name: 'cl', sync: slave() }, { name: 'pv', sync: { protocol: 'paravirt' } }]), 'test');
    expect(s.vms[2]!.clock.sync).toEqual({
      protocol: 'paravirt', periodNs: 125_000_000, costNs: 2_000, jitterNs: 500,
      servo: { firstStepThresholdNs: 20_000, stepThresholdNs: 1_000_000_000, maxFrequencyPpb: 500_000 },
    });
  });

  it('an unknown bus names the bus field and the buses there are', () => {
    expect(parse(tsynScenario([{ name: 'gw', sync: master({ bus: 'chassis' }) }, { name: 'cl', sync: slave() }])))
      .toThrow(/vms\[0\]\.clock\.sync\.bus: unknown CAN bus "chassis" \(canBuses has: body\)/);
  });

  it('a VM without a can device on the bus', () => {
    const json = tsynScenario([{ name: 'gw', sync: master() }, { name: 'cl', sync: slave() }]) as unknown as Json;
    json.vms[1]!.devices = [{ type: 'console' }];
    expect(parse(json)).toThrow(/vms\[1\]\.clock\.sync\.bus: CanTSyn runs over the VM's CAN controller: give it a can device on "body"/);
  });

  it('a slave with no master on its bus and domain', () => {
    expect(parse(tsynScenario([{ name: 'gw', sync: master({ timeDomain: 1 }) }, { name: 'cl', sync: slave({ timeDomain: 2 }) }])))
      .toThrow(/vms\[1\]\.clock\.sync\.timeDomain: no master for time domain 2 on bus "body"/);
  });

  it('two masters for one domain name the first; two domains may have a master each', () => {
    expect(parse(tsynScenario([{ name: 'a', sync: master() }, { name: 'b', sync: master() }])))
      .toThrow(/vms\[1\]\.clock\.sync\.role: a second master for time domain 0 on bus "body": vms\[0\]\.clock\.sync\.role is one already/);
    expect(parse(tsynScenario([{ name: 'a', sync: master() }, { name: 'b', sync: master({ timeDomain: 3 }) }]))).not.toThrow();
  });

  it('one CanTSyn id per bus: a slave on another id names the first', () => {
    expect(parse(tsynScenario([{ name: 'gw', sync: master() }, { name: 'cl', sync: slave({ canId: 0x0c1 }) }])))
      .toThrow(/vms\[1\]\.clock\.sync\.canId: CanTSyn on bus "body" uses 0xC0 already \(vms\[0\]\.clock\.sync\.canId\)/);
  });

  it('crc without DataIDs, a DataID list of the wrong length, a domain beyond 15', () => {
    expect(parse(tsynScenario([{ name: 'gw', sync: master({ crc: true }) }])))
      .toThrow(/vms\[0\]\.clock\.sync\.dataIds: crc is on: give the 16 DataIDs/);
    expect(parse(tsynScenario([{ name: 'gw', sync: master({ crc: true, dataIds: [1, 2, 3] }) }]))).toThrow(/vms\[0\]\.clock\.sync\.dataIds/);
    expect(parse(tsynScenario([{ name: 'gw', sync: master({ timeDomain: 16 }) }]))).toThrow(/vms\[0\]\.clock\.sync\.timeDomain/);
  });
});

describe('clock.sync cantsyn errors through the CLI', () => {
  beforeAll(requireCli);

  it('record exits 2 with one line naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-cantsyn-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(tsynScenario([{ name: 'gw', sync: master({ bus: 'chassis' }) }])));
    const r = tv('record', file, '-o', join(dir, 't'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*vms\[0\]\.clock\.sync\.bus: unknown CAN bus "chassis"/m);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
