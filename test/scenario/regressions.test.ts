// Issue #8's classes of scenario files that loaded but did not run (exit 1 "internal error", or a
// run that never ended), one `it` per class with a pasted input: each must now be refused at
// load, with a message naming the field and the limit. And the durations that were refused
// although the README allows them.
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { parseDurationOption } from '../../src/cli/options.js';
import { problems } from './problems.js';

const idle = { type: 'idle' };

describe('issue #8 regressions: refused at load with the field and the limit', () => {
  it('more than 4 GiB of guest RAM in total (the core\'s 32-bit memory)', () => {
    const input = JSON.parse(`{ "name": "ram", "vms": [
      { "name": "a", "ecu": "A", "ramMiB": 1024, "program": { "type": "idle" } },
      { "name": "b", "ecu": "B", "ramMiB": 1024, "program": { "type": "idle" } },
      { "name": "c", "ecu": "C", "ramMiB": 1024, "program": { "type": "idle" } },
      { "name": "d", "ecu": "D", "ramMiB": 1024, "program": { "type": "idle" } },
      { "name": "e", "ecu": "E", "ramMiB": 512, "program": { "type": "idle" } } ] }`);
    expect(problems(input)).toEqual([
      expect.stringMatching(/^vms: needs 4\d{3}\.\d MiB of core memory \(ramMiB 4608 in total, .*\), more than the core's 4095\.9 MiB \(32-bit linear memory\): lower ramMiB$/),
    ]);
  });

  it("guest RAM too small for its devices' rings and buffers", () => {
    const input = JSON.parse(`{ "name": "small", "vms": [ { "name": "a", "ecu": "A", "ramMiB": 1,
      "devices": [ { "type": "console" }, { "type": "net", "mac": "02:00:00:00:00:01" } ], "program": { "type": "idle" } } ] }`);
    expect(problems(input)).toEqual([
      expect.stringMatching(/^vms\[0\]\.ramMiB: 1 MiB cannot hold its devices' rings and buffers \(\d+ bytes\): at least 2$/),
    ]);
  });

  it('a CAN bus overloaded even at the allowed minimum bit rate (mailboxes would fill)', () => {
    const input = JSON.parse(`{ "name": "busy", "canBuses": [ { "name": "can0", "bitsPerSecond": 10000 } ],
      "ecus": [ { "name": "esc", "bus": "can0", "frames": [
        { "canId": 193, "dlc": 8, "periodNs": "10ms" }, { "canId": 196, "dlc": 8, "periodNs": "10ms" } ] } ],
      "vms": [ { "name": "a", "ecu": "A", "program": { "type": "idle" } } ] }`);
    expect(problems(input)).toEqual([
      'canBuses[0].bitsPerSecond: the ECU frames on "can0" need 27000 bit/s (CAN 2.0 frame bits with worst-case ' +
        'stuffing / periodNs), more than 80 % of 10000 bit/s: raise bitsPerSecond, or lengthen periodNs',
    ]);
  });

  it('a CAN bus under its load limit whose ECU would still queue more frames than its 16 mailboxes', () => {
    // 16 frames released together on a bus 78 % busy: the busy period is longer than a period.
    const frames = Array.from({ length: 16 }, (_, i) => ({ canId: 0x100 + i, dlc: 8, periodNs: '20ms' }));
    const input = { name: 'queue', canBuses: [{ name: 'can0', bitsPerSecond: 138_500 }],
      ecus: [{ name: 'ecu', bus: 'can0', frames }], vms: [{ name: 'a', ecu: 'A', program: idle }] };
    expect(problems(input)).toEqual([
      expect.stringMatching(/^ecus\[0\]\.frames: up to \d+ frames may wait at once \(bus "can0" busy up to \d+ ns\), more than the 16 TX mailboxes of an ECU/),
    ]);
  });

  it('a standard (11-bit) CAN id above 0x7FF', () => {
    const input = JSON.parse(`{ "name": "id", "canBuses": [ { "name": "can0", "bitsPerSecond": 500000 } ],
      "ecus": [ { "name": "esc", "bus": "can0", "frames": [ { "canId": 2048, "periodNs": "10ms" } ] } ],
      "vms": [ { "name": "a", "ecu": "A", "program": { "type": "idle" } } ] }`);
    expect(problems(input)).toEqual([
      'ecus[0].frames[0].canId: 0x800 does not fit a standard (11-bit) id, at most 0x7FF: set "extended": true for a 29-bit id',
    ]);
    expect(problems({ ...input, ecus: [{ ...input.ecus[0], frames: [{ canId: 2048, extended: true, periodNs: '10ms' }] }] })).toEqual([]);
  });

  it('bus-budget arithmetic: a period of "1h"', () => {
    const input = JSON.parse(`{ "name": "budget", "vms": [ { "name": "a", "ecu": "A",
      "busBudget": { "bytesPerPeriod": 2000000, "periodNs": "1h" }, "program": { "type": "cluster" } } ] }`);
    expect(problems(input)).toEqual([
      'vms[0].busBudget.periodNs: must be at most 1s (the bucket, bytes x period, is an i64 in the core)',
    ]);
  });

  it('bus-budget arithmetic: byte counts near 2^40', () => {
    const input = JSON.parse(`{ "name": "budget", "vms": [ { "name": "a", "ecu": "A",
      "busBudget": { "bytesPerPeriod": 1099511627000, "periodNs": "1s" }, "program": { "type": "idle" } } ] }`);
    expect(problems(input)).toEqual([
      'vms[0].busBudget.bytesPerPeriod: bytesPerPeriod x periodNs is 1099511627000000000000, more than 2^62 ' +
        "(the core's scaled bucket): lower one of them",
    ]);
  });

  it('bus-budget arithmetic: a framebuffer of 2^40 bytes', () => {
    const input = JSON.parse(`{ "name": "fb", "vms": [ { "name": "a", "ecu": "A",
      "busBudget": { "bytesPerPeriod": 1000, "periodNs": "1ms" },
      "program": { "type": "cluster", "framebufferBytes": 1099511627776 } } ] }`);
    expect(problems(input)).toEqual(['vms[0].program.framebufferBytes: Too big: expected number to be <=1099511627775']);
    // Each under 2^40, but a full redraw multiplies them past it.
    const redraw = { name: 'fb', vms: [{ name: 'a', ecu: 'A', program: { type: 'cluster', framebufferBytes: 2 ** 38, fullRedrawFactor: 6 } }] };
    expect(problems(redraw)).toEqual([
      'vms[0].program.framebufferBytes: a full redraw moves framebufferBytes x fullRedrawFactor = 1649267441664 bytes, ' +
        'more than the core charges at once (2^40 - 1): lower one of them',
    ]);
    // Under 2^40 a frame's traffic still piles up a debt the core's i64 cannot hold over the run.
    const debt = { ...input, vms: [{ ...input.vms[0], program: { type: 'cluster', framebufferBytes: 2 ** 36 } }] };
    expect(problems(debt)).toEqual([
      expect.stringMatching(/^vms\[0\]\.busBudget\.periodNs: the program may run up a debt of \d+ bytes in 10000000000 ns .*\(2\^62, 2\^53 ns\)/),
    ]);
    // A program within its budget's refill rate keeps a bounded debt: the cockpit runs a day.
    expect(loadScenario('cockpit', { durationNs: 86_400_000_000_000 }).durationNs).toBe(86_400_000_000_000);
  });

  it('bus-budget arithmetic: a frame period of 1 ns', () => {
    const input = JSON.parse(`{ "name": "fp", "vms": [ { "name": "a", "ecu": "A",
      "busBudget": { "bytesPerPeriod": 400000, "periodNs": "1ms" }, "program": { "type": "cluster", "framePeriodNs": 1 } } ] }`);
    expect(problems(input)).toEqual([
      'vms[0].program.framePeriodNs: must be at least 1ms (a CPU job and a bus charge each)',
    ]);
  });

  it('periods of 0 (statsEveryNs, log intervals): the run never ended', () => {
    const input = JSON.parse(`{ "name": "zero", "vms": [
      { "name": "g", "ecu": "G", "devices": [ { "type": "console" } ], "program": { "type": "gateway", "statsEveryNs": 0 } },
      { "name": "h", "ecu": "H", "devices": [ { "type": "console" } ], "program": { "type": "hostile", "logEveryNs": "0s" } } ] }`);
    expect(problems(input)).toEqual([
      'vms[0].program.statsEveryNs: must be at least 1ms (one DLT message each)',
      'vms[1].program.logEveryNs: must be at least 1ms (one DLT message each)',
    ]);
  });

  it('1 ns slices or clock sampling: a 1 s run did not finish in a minute', () => {
    const input = JSON.parse(`{ "name": "fine", "sliceNs": 1, "clockSampleNs": "1ns",
      "vms": [ { "name": "a", "ecu": "A", "program": { "type": "idle" } } ] }`);
    expect(problems(input)).toEqual([
      'sliceNs: must be at least 100us (an engine event per slice and busy CPU)',
      'clockSampleNs: must be at least 1ms (a clock row per VM each)',
    ]);
  });

  it('frame traffic beyond what a 1 s run simulates in seconds', () => {
    const input = JSON.parse(`{ "name": "flood", "vms": [
      { "name": "a", "ecu": "A", "ramMiB": 4, "devices": [ { "type": "net", "mac": "02:00:00:00:00:01" } ],
        "program": { "type": "infotainment", "burstEveryNs": "1ms", "burstFrames": 256, "peer": "02:00:00:00:00:02" } },
      { "name": "b", "ecu": "B", "ramMiB": 4, "devices": [ { "type": "net", "mac": "02:00:00:00:00:02" } ], "program": { "type": "idle" } } ] }`);
    expect(problems(input)).toEqual([
      'vms[0].program.burstEveryNs: the scenario asks for 512000 frame deliveries per second of virtual time ' +
        '(CAN frames x receivers, Ethernet bursts, gateway forwards), at most 100000; this field gives 512000 of ' +
        'them: lengthen the period or send fewer frames',
    ]);
  });

  it('a gateway that cannot keep up with the CAN frames it hears (its queue would grow all run)', () => {
    const input = JSON.parse(`{ "name": "slow", "canBuses": [ { "name": "can0", "bitsPerSecond": 500000 } ],
      "ecus": [ { "name": "esc", "bus": "can0", "frames": [ { "canId": 193, "periodNs": "1ms" } ] } ],
      "vms": [ { "name": "g", "ecu": "G", "devices": [ { "type": "can", "bus": "can0" } ],
        "program": { "type": "gateway", "perFrameCostNs": "2ms" } } ] }`);
    expect(problems(input)).toEqual([
      'vms[0].program.perFrameCostNs: the gateway hears 1000 CAN frames/s at 2000000 ns each: 2.00 CPU seconds ' +
        'per second, more than 1 (its queue would grow for the whole run): lower perFrameCostNs or the frame rate',
    ]);
  });

  it('duplicate CAN bus names and duplicate VM ECU ids', () => {
    const input = JSON.parse(`{ "name": "dup", "canBuses": [ { "name": "can0", "bitsPerSecond": 500000 }, { "name": "can0", "bitsPerSecond": 125000 } ],
      "vms": [ { "name": "a", "ecu": "GW01", "program": { "type": "idle" } }, { "name": "b", "ecu": "GW01", "program": { "type": "idle" } } ] }`);
    expect(problems(input)).toEqual([
      'canBuses[1].name: duplicate: already used by canBuses[0].name',
      'vms[1].ecu: duplicate DLT ECU id "GW01": already used by vms[0].ecu',
    ]);
  });
});

describe('issue #8 regressions: durations everywhere a time is', () => {
  it('"offsetNs": "2s" and "byNs": "-5ms" are accepted, as the README says', () => {
    const input = JSON.parse(`{ "name": "clk", "vms": [ { "name": "a", "ecu": "A", "program": { "type": "idle" },
      "clock": { "offsetNs": "2s", "steps": [ { "atNs": "5s", "byNs": "-5ms" } ] } } ] }`);
    const s = parseScenario(input, 'x');
    expect(s.vms[0]!.clock.offsetNs).toBe(2_000_000_000);
    expect(s.vms[0]!.clock.steps).toEqual([{ atNs: 5_000_000_000, byNs: -5_000_000 }]);
    const negative = { ...input, vms: [{ ...input.vms[0], clock: { offsetNs: '-1.5s' } }] };
    expect(parseScenario(negative, 'x').vms[0]!.clock.offsetNs).toBe(-1_500_000_000);
  });

  it('a negative duration where a time cannot be negative names the field', () => {
    const input = { name: 'neg', vms: [{ name: 'a', ecu: 'A', program: { type: 'cluster', framePeriodNs: '-16ms' } }] };
    expect(problems(input)).toEqual([
      'vms[0].program.framePeriodNs: must not be negative, got "-16ms"',
    ]);
  });

  it('--duration 0s and absurd values get a specific message', () => {
    expect(() => parseDurationOption('0s')).toThrow('--duration: must be > 0 and at most 24h, got "0s"');
    expect(() => parseDurationOption('-5s')).toThrow('--duration: must be > 0 and at most 24h, got "-5s"');
    expect(() => parseDurationOption('25h')).toThrow('--duration: must be > 0 and at most 24h, got "25h"');
    expect(() => parseDurationOption('99999999999999999h')).toThrow('--duration: must be > 0 and at most 24h, got "99999999999999999h"');
    expect(() => parseDurationOption('soon')).toThrow('--duration: expected a duration such as 30s or 500ms, got "soon"');
    expect(parseDurationOption('24h')).toBe(86_400_000_000_000);
  });
});

describe('found by the property test', () => {
  it('more CAN buses than CAN nodes (a bus nobody is on): the core asserted "more buses than canNodeCount"', async () => {
    const { Platform } = await import('../../src/platform/platform.js');
    const { CountingSink } = await import('../../src/platform/sink.js');
    // case 21 (seed 2324267120) of PROPERTY_SEED=7, reduced
    const input = JSON.parse(`{ "name": "buses", "durationNs": "10ms", "canBuses": [ { "name": "can0", "bitsPerSecond": 8000000 },
      { "name": "can1", "bitsPerSecond": 10000 }, { "name": "can2", "bitsPerSecond": 8000000 } ],
      "vms": [ { "name": "vm0", "ecu": "E0", "ramMiB": 2, "devices": [ { "type": "console" }, { "type": "can", "bus": "can0" } ],
        "program": { "type": "idle" } } ] }`);
    const platform = await Platform.create(parseScenario(input, 'x'), new CountingSink());
    expect(platform.run().durationNs).toBe(10_000_000);
  });
});
