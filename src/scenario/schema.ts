// The scenario file format: what a platform contains and how its guests behave. Validated with
// zod so that a malformed file is reported one line per problem, naming the field path.
// Every number that ends up in the simulation is an integer (ARCHITECTURE principle 1).

import { z } from 'zod';
import { parseDuration } from './duration.js';
import { deviceEntries } from './topology.js';
import { checkGuestReferences } from './references.js';

const NS_MAX = Number.MAX_SAFE_INTEGER;

/** A duration: integer nanoseconds or a string such as "16ms", "2.5s". */
export const durationNs = z
  .union([z.int().min(0).max(NS_MAX), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const ns = parseDuration(value);
    if (ns === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration such as "16ms" or "2.5s", got "${value}"`,
      });
      return z.NEVER;
    }
    return ns;
  });

const dltId = z
  .string()
  .regex(/^[\x21-\x7e]{1,4}$/, 'expected 1-4 printable ASCII characters (a DLT id)');

const mac = z
  .string()
  .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i, 'expected a MAC address like 02:00:00:00:00:01');

const name = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'expected a lowercase name (a-z, 0-9, _, -)');

export const clockSchema = z.strictObject({
  /** Local clock at true time 0 (the guest's boot offset), ns; may be negative. */
  offsetNs: z.int().min(-1e15).max(1e15).default(0),
  /** Rate error in parts per billion (12 ppm = 12000). */
  driftPpb: z.int().min(-1_000_000).max(1_000_000).default(0),
  /** Steps applied to the local clock at a true time (an NTP/PTP correction, a manual set). */
  steps: z.array(z.strictObject({ atNs: durationNs, byNs: z.int().min(-1e12).max(1e12) })).default([]),
});

export const busBudgetSchema = z.strictObject({
  bytesPerPeriod: z.int().min(1).max(2 ** 40),
  periodNs: durationNs.refine((v) => v > 0, 'must be > 0'),
});

const deviceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('console') }),
  z.strictObject({ type: z.literal('net'), mac, port: z.int().min(0).max(63).optional() }),
  z.strictObject({ type: z.literal('can'), bus: name }),
]);

/** Guest programs: the behaviour that drives the devices (see src/guests/). */
const programSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cluster'),
    framePeriodNs: durationNs.default(16_666_667),
    frameCostNs: durationNs.default(4_000_000),
    frameCostJitterNs: durationNs.default(1_000_000),
    framebufferBytes: z.int().min(0).default(1_048_576),
    /** Every this many frames the whole scene is redrawn (a map tile load, a theme change). */
    fullRedrawEvery: z.int().min(1).default(240),
    /** Framebuffer traffic of a full redraw, as a multiple of a normal frame's. */
    fullRedrawFactor: z.int().min(1).max(64).default(6),
  }),
  z.strictObject({
    type: z.literal('infotainment'),
    burstEveryNs: durationNs.default(40_000_000),
    burstFrames: z.int().min(1).max(256).default(48),
    frameBytes: z.int().min(64).max(1514).default(1200),
    burstCostNs: durationNs.default(2_000_000),
    memoryBurstBytes: z.int().min(0).default(1_048_576),
    /** One burst in `bigBurstOneIn` copies 4× the memory (a decoder reference frame). */
    bigBurstOneIn: z.int().min(1).default(12),
    peer: mac.optional(),
  }),
  z.strictObject({
    type: z.literal('gateway'),
    perFrameCostNs: durationNs.default(15_000),
    forwardTo: z.array(mac).default([]),
    statsEveryNs: durationNs.default(1_000_000_000),
    /**
     * Which CAN frames are bridged, as what signal, to which MACs. Without it: every frame an ECU
     * on the gateway's buses declares as `speed` or `rpm`, to `forwardTo` (src/guests/routes.ts).
     */
    routes: z
      .array(
        z.strictObject({
          canId: z.int().min(0).max(0x1fffffff),
          extended: z.boolean().default(false),
          /** Default: the signal the sending ECU declares for this id. */
          signal: z.enum(['counter', 'speed', 'rpm', 'random']).optional(),
          /** Default: the gateway's `forwardTo`. */
          to: z.array(mac).optional(),
        }),
      )
      .optional(),
  }),
  z.strictObject({
    type: z.literal('hostile'),
    /** What the guest does wrong, and when. */
    attacks: z
      .array(
        z.strictObject({
          atNs: durationNs,
          kind: z.enum([
            'desc_loop',
            'desc_out_of_range',
            'addr_outside_guest',
            'readable_after_writable',
            'nested_indirect',
          ]),
        }),
      )
      .default([]),
    logEveryNs: durationNs.default(100_000_000),
  }),
  z.strictObject({ type: z.literal('idle') }),
]);

export const vmSchema = z.strictObject({
  name,
  ecu: dltId,
  vcpus: z.int().min(1).max(8).default(1),
  /** Higher runs first; equal priorities share by time slices. */
  priority: z.int().min(0).max(255).default(50),
  ramMiB: z.int().min(1).max(1024).default(16),
  clock: clockSchema.default({ offsetNs: 0, driftPpb: 0, steps: [] }),
  busBudget: busBudgetSchema.optional(),
  devices: z.array(deviceSchema).max(8).default([]),
  program: programSchema,
});

export const ecuSchema = z.strictObject({
  name,
  bus: name,
  /** Periodic CAN frames this external ECU sends. */
  frames: z
    .array(
      z.strictObject({
        canId: z.int().min(0).max(0x1fffffff),
        extended: z.boolean().default(false),
        dlc: z.int().min(0).max(8).default(8),
        periodNs: durationNs.refine((v) => v > 0, 'must be > 0'),
        jitterNs: durationNs.default(0),
        signal: z.enum(['counter', 'speed', 'rpm', 'random']).default('counter'),
      }),
    )
    .min(1),
});

export const scenarioSchema = z
  .strictObject({
    name,
    description: z.string().default(''),
    seed: z.int().min(0).max(2 ** 32 - 1).default(1),
    durationNs: durationNs.default(10_000_000_000),
    pcpus: z.int().min(1).max(16).default(2),
    sliceNs: durationNs.refine((v) => v > 0, 'must be > 0').default(2_000_000),
    clockSampleNs: durationNs.refine((v) => v > 0, 'must be > 0').default(100_000_000),
    network: z
      .strictObject({
        latencyNs: durationNs.default(1_000),
        bitsPerSecond: z.int().min(1_000).max(100_000_000_000).default(100_000_000),
      })
      .default({ latencyNs: 1_000, bitsPerSecond: 100_000_000 }),
    canBuses: z
      .array(z.strictObject({ name, bitsPerSecond: z.int().min(10_000).max(8_000_000) }))
      .default([]),
    ecus: z.array(ecuSchema).max(47).default([]), // one PRNG stream each (platform.ts)
    vms: z.array(vmSchema).min(1).max(16),
  })
  .superRefine(checkReferences);

type ScenarioShape = z.output<typeof scenarioSchema>;

/** Cross-field rules zod's shapes cannot express: unique names, buses that exist, MACs, switch ports. */
function checkReferences(s: Omit<ScenarioShape, never>, ctx: z.RefinementCtx): void {
  const buses = new Set(s.canBuses.map((b) => b.name));
  const seen = new Map<string, string>();
  const unique = (key: string, path: (string | number)[], what = 'duplicate') => {
    if (seen.has(key)) {
      ctx.addIssue({ code: 'custom', path, message: `${what}: already used by ${seen.get(key)}` });
    }
    seen.set(key, path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join(''));
  };
  s.vms.forEach((vm, i) => {
    unique(`name:${vm.name}`, ['vms', i, 'name']);
    vm.devices.forEach((d, j) => {
      if (d.type === 'can' && !buses.has(d.bus)) {
        ctx.addIssue({ code: 'custom', path: ['vms', i, 'devices', j, 'bus'], message: `no CAN bus named "${d.bus}" in canBuses` });
      }
      if (d.type === 'net') unique(`mac:${d.mac.toLowerCase()}`, ['vms', i, 'devices', j, 'mac']);
    });
    const consoles = vm.devices.filter((d) => d.type === 'console').length;
    if (consoles > 1) ctx.addIssue({ code: 'custom', path: ['vms', i, 'devices'], message: 'at most one console device' });
  });
  // Switch ports as the platform assigns them (topology.ts): an explicit `port` must not meet
  // another one, nor a port given in order to a net device without one.
  for (const d of deviceEntries(s)) {
    if (d.switchPort === null) continue;
    const path = ['vms', d.vm, 'devices', d.index];
    const explicit = d.config.type === 'net' && d.config.port !== undefined;
    unique(`port:${d.switchPort}`, explicit ? [...path, 'port'] : path,
      explicit ? `switch port ${d.switchPort}` : `switch port ${d.switchPort} (given in order)`);
  }
  s.ecus.forEach((ecu, i) => {
    unique(`name:${ecu.name}`, ['ecus', i, 'name']);
    if (!buses.has(ecu.bus)) {
      ctx.addIssue({ code: 'custom', path: ['ecus', i, 'bus'], message: `no CAN bus named "${ecu.bus}" in canBuses` });
    }
    ecu.frames.forEach((f, j) => {
      if (f.jitterNs >= f.periodNs) {
        ctx.addIssue({ code: 'custom', path: ['ecus', i, 'frames', j, 'jitterNs'], message: 'must be smaller than periodNs' });
      }
    });
  });
  checkGuestReferences(s, ctx);
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type VmConfig = Scenario['vms'][number];
export type DeviceConfig = VmConfig['devices'][number];
export type ProgramConfig = VmConfig['program'];
export type EcuConfig = Scenario['ecus'][number];
