// The scenario file format: what a platform contains and how its guests behave. Validated with
// zod so that a malformed file is reported one line per problem, naming the field path.
// Every number that ends up in the simulation is an integer (ARCHITECTURE principle 1).

import { z } from 'zod';
import { durationPattern, formatDurationShort, parseDuration } from './duration.js';
import {
  BUS_CHARGE_BYTES_MAX, BUS_PERIOD_NS_MAX, CAN_ID_EXTENDED_MAX, CAN_MAILBOX_MAX, COST_NS_MAX,
  DURATION_NS_MAX, LINK_LATENCY_NS_MAX, MIN_PERIOD_NS, RANDOM_NS_MAX,
} from './limits.js';
import { checkRunnable } from './runnable.js';
import { checkReferences } from './references.js';
import { checkFaultReferences, FAULTS_MAX } from './fault-references.js';
import { checkSyncReferences } from './sync-references.js';

interface DurationOptions {
  min?: number;
  max?: number;
  /** why the minimum is what it is (said in the error message) */
  minWhy?: string;
  maxWhy?: string;
  /** accepts negative values ("-5ms") */
  signed?: boolean;
}

/**
 * A duration: integer nanoseconds or a string such as "16ms", "2.5s" ("-5ms" where `signed`).
 * The input side (integer | string with a pattern) is what the JSON Schema shows; the output is
 * always integer ns within [min, max].
 */
export function durationNs(options: DurationOptions = {}) {
  const { min = 0, max = DURATION_NS_MAX, signed = false } = options;
  const why = (text?: string) => (text === undefined ? '' : ` (${text})`);
  const expected = `expected integer nanoseconds or a duration such as "16ms" or "2.5s"${signed ? ' (may be negative)' : ''}`;
  const range = (ns: z.ZodInt) =>
    ns
      .min(min, `must be at least ${formatDurationShort(min)}${why(options.minWhy)}`)
      .max(max, `must be at most ${formatDurationShort(max)}${why(options.maxWhy)}`);
  const textError = (input: string) =>
    !signed && /^\s*-/.test(input) && parseDuration(input, { signed: true }) !== null
      ? `must not be negative, got "${input}"`
      : `${expected}, got "${input}"`;
  const text = z.string().regex(new RegExp(durationPattern(signed)), { error: (iss) => textError(String(iss.input)) });
  // The range sits on both sides: on the integer (so the JSON Schema shows it) and after parsing.
  return z
    .union([range(z.int()), text], { error: expected })
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      const ns = parseDuration(value, { signed });
      if (ns === null) {
        ctx.addIssue({ code: 'custom', message: `${expected}, got "${value}" (finer than 1 ns or beyond 2^53 ns)` });
        return z.NEVER;
      }
      return ns;
    })
    .pipe(range(z.int()));
}

const RUN_MAX = 'the longest run; every time stays below 2^53 ns';
const COST_MAX = 'the longest guest CPU job';
const RANDOM_MAX = 'drawn by the core\'s PRNG below a u32 bound';

const dltId = z
  .string()
  .regex(/^[\x21-\x7e]{1,4}$/, 'expected 1-4 printable ASCII characters (a DLT id)');

const mac = z
  .string()
  .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i, 'expected a MAC address like 02:00:00:00:00:01');

const name = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'expected a lowercase name (a-z, 0-9, _, -)');

// --- clock sync (issue 11 §1): gPTP per VM, defaults of the automotive profile and of ptp4l
/** The PI servo (linuxptp pi.c): gPTP's and the paravirtual clock's (issue 11 §2). */
const servoSchema = (kpDefault: string, kiDefault: string) => z
  .strictObject({
    kp: z.number().positive().max(1000).optional()
      .describe(`proportional constant (ptp4l pi_proportional_const; default ${kpDefault})`),
    ki: z.number().positive().max(1000).optional()
      .describe(`integral constant (ptp4l pi_integral_const; default ${kiDefault})`),
    firstStepThresholdNs: durationNs({ max: 1e12 }).prefault(20_000)
      .describe('step the clock on the first update if |offset| is beyond this (ptp4l first_step_threshold; 0: never)'),
    stepThresholdNs: durationNs({ max: 1e12 }).prefault(1_000_000_000)
      .describe('step whenever |offset| is beyond this (ptp4l step_threshold; linuxptp automotive-slave.cfg: 1 s; 0: never)'),
    maxFrequencyPpb: z.int().min(1).max(1_000_000).default(500_000).describe('largest frequency adjustment, ppb'),
  })
  .prefault({})
  .describe('the PI servo (linuxptp pi.c)');

export const gptpSyncSchema = z.strictObject({
  protocol: z.literal('gptp').describe('IEEE 802.1AS over the Ethernet switch'),
  role: z.enum(['grandmaster', 'client']).describe('static roles (automotive profile: no announce, no BMCA)'),
  timestamping: z.enum(['hardware', 'software']).default('hardware')
    .describe('hardware: at the link (quantised to granularityNs); software: when the vCPU handles the frame'),
  granularityNs: z.int().min(1).max(1_000_000).default(8).describe('hardware timestamp resolution, ns'),
  syncIntervalNs: durationNs({ min: 1_000_000, max: 16_000_000_000 }).prefault(125_000_000)
    .describe('grandmaster Sync interval (automotive profile: 125 ms, logSyncInterval −3)'),
  pdelayIntervalNs: durationNs({ min: 1_000_000, max: 64_000_000_000 }).prefault(1_000_000_000)
    .describe('client Pdelay_Req interval'),
  servo: servoSchema('from the sync interval: 0.7 × interval^−0.3 hardware, 0.1 × software', '0.3 × interval^0.4 hardware, 0.001 × software'),
  delayFilterLength: z.int().min(1).max(64).default(10).describe('moving median of path delays (ptp4l delay_filter_length)'),
});

// --- CanTSyn (issue 11 §2): AUTOSAR Time Synchronization over CAN (SWS TimeSyncOverCAN, R4.3.1)
/**
 * 0x0C0: AUTOSAR leaves the id to the system description; a time-sync id must win arbitration
 * against the periodic signal frames (the SWS's two-step scheme hides the wait before the
 * SYNC, not the FUP's), so it sits below the 0x100.. range signal frames usually take.
 */
export const CANTSYN_CAN_ID_DEFAULT = 0x0c0;
export const cantsynSyncSchema = z.strictObject({
  protocol: z.literal('cantsyn').describe('AUTOSAR CanTSyn: SYNC + FUP messages on a CAN bus'),
  role: z.enum(['master', 'slave']).describe('Time Master (sends SYNC / FUP) or Time Slave (receives them)'),
  bus: name.describe('the CAN bus (a name in canBuses; the VM needs a can device on it)'),
  canId: z.int().min(0).max(CAN_ID_EXTENDED_MAX).default(CANTSYN_CAN_ID_DEFAULT)
    .describe('CAN id of the SYNC and FUP messages (default 0x0C0: below the usual signal ids, so it wins arbitration)'),
  extended: z.boolean().default(false).describe('the id is a 29-bit extended id'),
  timeDomain: z.int().min(0).max(15).default(0).describe('time domain id, 0..15 (SWS: byte 2 bits 7..4)'),
  syncPeriodNs: durationNs({ min: 1_000_000, max: 16_000_000_000 }).prefault(1_000_000_000)
    .describe('master: SYNC period (CanTSynGlobalTimeTxPeriod, typically 1 s)'),
  followUpTimeoutNs: durationNs({ min: 1_000_000, max: 16_000_000_000 }).prefault(100_000_000)
    .describe('slave: a FUP later than this after its SYNC is dropped (CanTSynGlobalTimeFollowUpTimeout)'),
  crc: z.boolean().default(false).describe('SYNC 0x20 / FUP 0x28 with a CRC-8 SAE J1850 over bytes 2..7 and the DataID (false: 0x10 / 0x18)'),
  dataIds: z.array(z.int().min(0).max(255)).length(16).optional()
    .describe('CanTSynGlobalTimeSyncDataIDList: 16 DataIDs, one per sequence counter value (needed with crc; FUP uses the same list)'),
  correction: z.enum(['none', 'offset', 'rate']).default('rate')
    .describe('slave: none (measure only), offset (step to the master\'s time at each FUP), rate (step, and correct the rate from two consecutive syncs)'),
  maxFrequencyPpb: z.int().min(1).max(1_000_000).default(500_000).describe('slave, rate: largest rate correction, ppb'),
});

// --- paravirtual host clock (issue 11 §2): ptp_kvm / virtio-rtc, the guest reads the host's clock
export const paravirtSyncSchema = z.strictObject({
  protocol: z.literal('paravirt').describe("the hypervisor's clock read through a call (the ptp_kvm / virtio-rtc idea)"),
  periodNs: durationNs({ min: 1_000_000, max: 16_000_000_000 }).prefault(125_000_000)
    .describe('how often the guest reads the host clock and updates its servo (default: gPTP\'s sync interval)'),
  costNs: durationNs({ max: 1_000_000 }).prefault(2_000)
    .describe('vCPU time one read costs (the hypercall), ns'),
  jitterNs: durationNs({ max: 1_000_000 }).prefault(500)
    .describe('the host reading precedes the guest\'s own reading by 0..this (seeded), ns'),
  servo: servoSchema('from the period: 0.7 × period^−0.3 (ptp4l\'s hardware scale)', '0.3 × period^0.4'),
});

export const syncSchema = z.discriminatedUnion('protocol', [gptpSyncSchema, cantsynSyncSchema, paravirtSyncSchema]);

export const clockSchema = z.strictObject({
  offsetNs: durationNs({ signed: true, min: -1e15, max: 1e15 })
    .prefault(0)
    .describe("the guest's local clock at true time 0 (its boot offset), ns; may be negative"),
  driftPpb: z.int().min(-1_000_000).max(1_000_000).default(0)
    .describe('rate error in parts per billion (12 ppm = 12000)'),
  steps: z
    .array(
      z.strictObject({
        atNs: durationNs({ maxWhy: RUN_MAX }).describe('true time of the step'),
        byNs: durationNs({ signed: true, min: -1e12, max: 1e12 }).describe('how far the local clock jumps; may be negative'),
      }),
    )
    .max(1024)
    .prefault([])
    .describe('steps applied to the local clock at a true time (an NTP/PTP correction, a manual set)'),
  sync: syncSchema.optional().describe('time synchronisation of this clock (none: free running)'),
});

export const busBudgetSchema = z.strictObject({
  bytesPerPeriod: z.int().min(1).max(2 ** 40).describe('memory-bus bytes the VM may move per period (token bucket)'),
  periodNs: durationNs({ min: MIN_PERIOD_NS.busPeriodNs, max: BUS_PERIOD_NS_MAX, maxWhy: 'the bucket, bytes x period, is an i64 in the core' })
    .describe('refill period of the token bucket'),
});

const deviceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('console').describe('virtio-console: the guest\'s DLT log channel') }),
  z.strictObject({
    type: z.literal('net').describe('virtio-net on the Ethernet switch'),
    mac: mac.describe('its MAC address (unique)'),
    port: z.int().min(0).max(63).optional().describe('switch port; without one: 0, 1, 2, ... in device order'),
    asymmetryNs: durationNs({ signed: true, min: -1_000_000, max: 1_000_000 }).prefault(0)
      .describe('path asymmetry of its link: switch-to-device takes this much longer than device-to-switch'),
  }),
  z.strictObject({ type: z.literal('can').describe('virtio-can on a CAN bus'), bus: name.describe('a name in canBuses') }),
]);

const logEveryNs = (defaultNs: number, what: string) =>
  durationNs({ min: MIN_PERIOD_NS.logEveryNs, minWhy: 'one DLT message each', maxWhy: RUN_MAX }).prefault(defaultNs).describe(what);

/** Guest programs: the behaviour that drives the devices (see src/guests/). */
const programSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cluster').describe('instrument cluster: a frame loop with a deadline per frame'),
    framePeriodNs: durationNs({ min: MIN_PERIOD_NS.framePeriodNs, minWhy: 'a CPU job and a bus charge each', maxWhy: RUN_MAX })
      .prefault(16_666_667).describe('frame release period (the deadline of each frame)'),
    frameCostNs: durationNs({ max: COST_NS_MAX, maxWhy: COST_MAX }).prefault(4_000_000).describe('CPU time a frame takes'),
    frameCostJitterNs: durationNs({ max: COST_NS_MAX, maxWhy: COST_MAX }).prefault(1_000_000)
      .describe('random extra CPU time per frame, 0..this'),
    framebufferBytes: z.int().min(0).max(BUS_CHARGE_BYTES_MAX).default(1_048_576)
      .describe('memory-bus traffic of a frame (charged to the bus budget), bytes'),
    fullRedrawEvery: z.int().min(1).max(2 ** 31 - 1).default(240)
      .describe('every this many frames the whole scene is redrawn (a map tile load, a theme change)'),
    fullRedrawFactor: z.int().min(1).max(64).default(6)
      .describe("framebuffer traffic of a full redraw, as a multiple of a normal frame's"),
  }),
  z.strictObject({
    type: z.literal('infotainment').describe('bursty network and memory traffic (an Android-like VM)'),
    burstEveryNs: durationNs({ min: MIN_PERIOD_NS.burstEveryNs, minWhy: 'up to 256 Ethernet frames each', max: RANDOM_NS_MAX - 1, maxWhy: RANDOM_MAX })
      .prefault(40_000_000).describe('nominal interval between bursts (each one 50 %..150 % of it)'),
    burstFrames: z.int().min(1).max(256).default(48).describe('Ethernet frames per burst'),
    frameBytes: z.int().min(64).max(1514).default(1200).describe('bytes per Ethernet frame'),
    burstCostNs: durationNs({ max: COST_NS_MAX, maxWhy: COST_MAX }).prefault(2_000_000).describe('CPU time a burst takes'),
    memoryBurstBytes: z.int().min(0).max(Math.floor(BUS_CHARGE_BYTES_MAX / 4)).default(1_048_576)
      .describe('memory-bus traffic of a burst, bytes (4x in a big burst)'),
    bigBurstOneIn: z.int().min(1).max(2 ** 32 - 1).default(12).describe('one burst in this many copies 4x the memory'),
    peer: mac.optional().describe('MAC the bursts go to (none: no network traffic)'),
  }),
  z.strictObject({
    type: z.literal('gateway').describe('CAN to Ethernet bridge'),
    perFrameCostNs: durationNs({ max: COST_NS_MAX, maxWhy: COST_MAX }).prefault(15_000).describe('CPU time per bridged CAN frame'),
    forwardTo: z.array(mac).max(16).default([]).describe('MACs every bridged frame is sent to'),
    statsEveryNs: logEveryNs(1_000_000_000, 'interval of the statistics log message'),
    /**
     * Which CAN frames are bridged, as what signal, to which MACs. Without it: every frame an ECU
     * on the gateway's buses declares as `speed` or `rpm`, to `forwardTo` (src/guests/routes.ts).
     */
    routes: z
      .array(
        z.strictObject({
          canId: z.int().min(0).max(CAN_ID_EXTENDED_MAX).describe('CAN id (standard ids up to 0x7FF)'),
          extended: z.boolean().default(false).describe('the id is a 29-bit extended id'),
          signal: z.enum(['counter', 'speed', 'rpm', 'random']).optional()
            .describe('what the frame carries (default: the signal the sending ECU declares for this id)'),
          to: z.array(mac).optional().describe("MACs the frame is bridged to (default: the gateway's forwardTo)"),
        }),
      )
      .optional()
      .describe('which CAN frames are bridged, as what signal, to which MACs (default: every frame an ECU on the gateway\'s buses declares as speed or rpm, to forwardTo)'),
  }),
  z.strictObject({
    type: z.literal('hostile').describe('publishes broken descriptor chains on its net TX queue'),
    attacks: z
      .array(
        z.strictObject({
          atNs: durationNs({ maxWhy: RUN_MAX }).describe('true time of the attack'),
          kind: z.enum([
            'desc_loop',
            'desc_out_of_range',
            'addr_outside_guest',
            'readable_after_writable',
            'nested_indirect',
          ]).describe('which VIRTIO 1.2 §2.7.5 rule the chain breaks'),
        }),
      )
      .max(1024)
      .prefault([])
      .describe('what the guest does wrong, and when'),
    logEveryNs: logEveryNs(100_000_000, 'interval of the keep-alive log message'),
  }),
  z.strictObject({ type: z.literal('idle').describe('no program: the VM only exists') }),
]);

export const vmSchema = z.strictObject({
  name: name.describe('VM name (unique among VMs and ECUs)'),
  ecu: dltId.describe('DLT ECU id of its log messages, 1-4 characters (unique)'),
  vcpus: z.int().min(1).max(8).default(1).describe('virtual CPUs'),
  priority: z.int().min(0).max(255).default(50).describe('higher runs first; equal priorities share by time slices'),
  ramMiB: z.int().min(1).max(1024).default(16).describe("guest RAM, MiB; must hold its devices' rings and buffers"),
  clock: clockSchema.prefault({}).describe('the VM\'s local clock'),
  busBudget: busBudgetSchema.optional().describe('memory-bus budget (none: unthrottled)'),
  devices: z.array(deviceSchema).max(8).default([]).describe('VIRTIO devices, numbered VM by VM in this order'),
  program: programSchema.describe('the guest program'),
});

// --- CanTSyn ECU slaves (issue 11 §2: "external ECUs that the scenario marks"): the VM slave's
// fields and names, less the role (always a slave), the master's syncPeriodNs and the bus (the
// ECU's own: an ECU has one controller), plus the clock a VM has in vms[].clock.
export const ecuCantsynSchema = cantsynSyncSchema
  .omit({ protocol: true, role: true, bus: true, syncPeriodNs: true })
  .extend({
    clock: z.strictObject({
      offsetNs: clockSchema.shape.offsetNs.describe("the ECU's local clock at true time 0 (its boot offset), ns; may be negative"),
      driftPpb: clockSchema.shape.driftPpb,
    }).prefault({}).describe("the ECU's local clock (offset and drift, as a VM's clock)"),
  });

export const ecuSchema = z.strictObject({
  name: name.describe('ECU name (unique among VMs and ECUs)'),
  bus: name.describe('a name in canBuses'),
  frames: z
    .array(
      z.strictObject({
        canId: z.int().min(0).max(CAN_ID_EXTENDED_MAX).describe('CAN identifier: <= 0x7FF standard, <= 0x1FFFFFFF extended'),
        extended: z.boolean().default(false).describe('29-bit (extended) identifier'),
        dlc: z.int().min(0).max(8).default(8).describe('data bytes'),
        periodNs: durationNs({ min: MIN_PERIOD_NS.ecuFramePeriodNs, minWhy: 'one engine event each', maxWhy: RUN_MAX })
          .describe('send period'),
        jitterNs: durationNs({ max: RANDOM_NS_MAX, maxWhy: RANDOM_MAX }).prefault(0).describe('random release delay, 0..this (< periodNs)'),
        signal: z.enum(['counter', 'speed', 'rpm', 'random']).default('counter').describe('what the data bytes carry'),
      }),
    )
    .min(1)
    .max(CAN_MAILBOX_MAX)
    .describe(`periodic CAN frames this external ECU sends (at most ${CAN_MAILBOX_MAX}: its TX mailboxes)`),
  cantsyn: ecuCantsynSchema.optional().describe('the ECU is a CanTSyn Time Slave on its bus (none: it only sends)'),
});

// --- faults (issue 9 §5): seeded fault injection. The CLI's `--fault type:key=value,…` is parsed
// into these same objects (src/faults/cli-spec.ts), so both forms take the same fields.
const FAULT_PPM_ONE = 1_000_000;
const faultPpm = z.int().min(0, 'must be at least 0').max(FAULT_PPM_ONE, 'must be at most 1000000 (parts per million: 1000000 is every one)').default(FAULT_PPM_ONE)
  .describe('probability per frame (or element), parts per million; 1000000: every one');
const faultAt = durationNs({ maxWhy: RUN_MAX }).describe('true time the fault starts');
const faultFor = durationNs({ min: 1, maxWhy: RUN_MAX }).describe('how long the window lasts');
/** Probabilistic faults: active in [at, at + for), by default the whole run. */
const faultWindow = {
  at: faultAt.prefault(0),
  for: faultFor.optional().describe('how long the window lasts (none: to the end of the run)'),
};
const faultVm = name.describe('the VM (a name in vms)');

/** A fault variant: an unknown field is named with the fields the type has. */
function faultObject<T extends z.core.$ZodLooseShape & { type: z.ZodLiteral<string> }>(shape: T) {
  const fields = Object.keys(shape).filter((k) => k !== 'type');
  const type = String(shape.type.value);
  return z.strictObject(shape, {
    error: (iss) => iss.code === 'unrecognized_keys'
      ? `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')} (${type} takes: ${fields.join(', ')})`
      : undefined,
  });
}

export const faultSchema = z.discriminatedUnion('type', [
  faultObject({
    type: z.literal('link_loss').describe('Ethernet frames lost on a link (with ppm 1000000: the link is down)'),
    mac: mac.optional().describe("the link of the net device with this MAC (none: every link)"),
    ppm: faultPpm,
    ...faultWindow,
  }),
  faultObject({
    type: z.literal('link_corrupt').describe("a bit flipped in an Ethernet frame; the receiver's FCS check drops it"),
    mac: mac.optional().describe("the link of the net device with this MAC (none: every link)"),
    ppm: faultPpm,
    ...faultWindow,
  }),
  faultObject({
    type: z.literal('can_error').describe('CAN error frames: the frame is destroyed and retransmitted'),
    bus: name.optional().describe('a name in canBuses (none: every bus)'),
    ppm: faultPpm,
    ...faultWindow,
  }),
  faultObject({
    type: z.literal('can_bus_off').describe('a CAN node goes bus-off for a window: it sends nothing, then recovers'),
    node: name.describe("a VM (its CAN devices) or an ECU, by name"),
    at: faultAt,
    for: faultFor,
  }),
  faultObject({
    type: z.literal('desc_corrupt').describe('a device returns used elements with a wrong id; the driver refuses them'),
    vm: faultVm,
    device: z.int().min(0).max(7).optional().describe("index in the VM's devices (none: every device of the VM)"),
    ppm: faultPpm,
    ...faultWindow,
  }),
  faultObject({
    type: z.literal('clock_step').describe("a VM's local clock jumps"),
    vm: faultVm,
    at: faultAt,
    by: durationNs({ signed: true, min: -1e12, max: 1e12 }).describe('how far the clock jumps; may be negative'),
  }),
  faultObject({
    type: z.literal('clock_drift').describe("a VM's clock drift changes"),
    vm: faultVm,
    at: faultAt,
    ppb: z.int().min(-1_000_000).max(1_000_000).describe('the new rate error, parts per billion'),
  }),
  faultObject({
    type: z.literal('vcpu_stall').describe('the hypervisor does not schedule a vCPU for a window (its steal grows)'),
    vm: faultVm,
    vcpu: z.int().min(0).max(7).default(0).describe('vCPU index in the VM'),
    at: faultAt,
    for: faultFor,
  }),
  faultObject({
    type: z.literal('bus_cut').describe("a VM's memory-bus budget is cut for a window"),
    vm: faultVm.describe('the VM (a name in vms; it needs a busBudget)'),
    percent: z.int().min(1).max(100).optional().describe("the budget left, % of the VM's bytesPerPeriod"),
    bytesPerPeriod: z.int().min(1).max(2 ** 40).optional().describe('the budget left, bytes per period (instead of percent)'),
    at: faultAt,
    for: faultFor,
  }),
], { error: (iss) => iss.code === 'invalid_union' ? `unknown fault type (known: ${FAULT_TYPE_NAMES.join(', ')})` : undefined });

export const FAULT_TYPE_NAMES = [
  'link_loss', 'link_corrupt', 'can_error', 'can_bus_off', 'desc_corrupt', 'clock_step', 'clock_drift',
  'vcpu_stall', 'bus_cut',
] as const;

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('the JSON Schema this file follows (for editors; ignored)'),
    name: name.describe('scenario name'),
    description: z.string().default('').describe('what the scenario models'),
    seed: z.int().min(0).max(2 ** 32 - 1).default(1).describe('PRNG seed; every random choice of the run derives from it'),
    durationNs: durationNs({ min: 1, max: DURATION_NS_MAX, maxWhy: RUN_MAX }).prefault(10_000_000_000)
      .describe('run length in virtual time'),
    pcpus: z.int().min(1).max(16).default(2).describe('physical CPUs the vCPUs share'),
    sliceNs: durationNs({ min: MIN_PERIOD_NS.sliceNs, minWhy: 'an engine event per slice and busy CPU', max: 1e9 })
      .prefault(2_000_000).describe('scheduler time slice (fixed priority, round robin among equals)'),
    clockSampleNs: durationNs({ min: MIN_PERIOD_NS.clockSampleNs, minWhy: 'a clock row per VM each', maxWhy: RUN_MAX })
      .prefault(100_000_000).describe('how often each VM\'s clock is sampled into the clock table'),
    network: z
      .strictObject({
        latencyNs: durationNs({ max: LINK_LATENCY_NS_MAX }).prefault(1_000).describe('latency of every device-switch link'),
        bitsPerSecond: z.int().min(1_000).max(100_000_000_000).default(100_000_000).describe('bit rate of every device-switch link'),
        timeAware: z.boolean().default(true)
          .describe('with clock sync: the switch is an 802.1AS time-aware bridge (false: a plain switch that floods PTP)'),
      })
      .prefault({})
      .describe('the Ethernet links'),
    canBuses: z
      .array(z.strictObject({
        name: name.describe('bus name (unique)'),
        bitsPerSecond: z.int().min(10_000).max(8_000_000).describe('bit rate'),
      }))
      .max(16)
      .default([])
      .describe('CAN buses'),
    ecus: z.array(ecuSchema).max(47).prefault([]).describe('external ECUs on a CAN bus (one PRNG stream each: at most 47)'),
    vms: z.array(vmSchema).min(1).max(16).describe('guest VMs'),
    faults: z.array(faultSchema).max(FAULTS_MAX, `at most ${FAULTS_MAX} faults (each draws from a PRNG stream of its own)`).default([])
      .describe(`seeded faults to inject (each draws from a PRNG stream of its own: at most ${FAULTS_MAX})`),
  })
  // Cross-field checks read values the field checks vouch for, so they run only when every field
  // passed (zod would otherwise hand them an out-of-range value and report it twice).
  .superRefine(
    (s, ctx) => {
      checkReferences(s, ctx);
      checkFaultReferences(s, ctx);
      checkSyncReferences(s, ctx);
      checkRunnable(s, ctx);
    },
    { when: (payload) => payload.issues.length === 0 },
  )
  .transform(({ $schema: _ignored, ...scenario }) => scenario);

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type VmConfig = Scenario['vms'][number];
export type DeviceConfig = VmConfig['devices'][number];
export type ProgramConfig = VmConfig['program'];
export type EcuConfig = Scenario['ecus'][number];
export type EcuCantsynConfig = NonNullable<EcuConfig['cantsyn']>;
export type FaultConfig = Scenario['faults'][number];
export type SyncConfig = z.output<typeof syncSchema>;
export type GptpSyncConfig = z.output<typeof gptpSyncSchema>;
export type CanTsynSyncConfig = z.output<typeof cantsynSyncSchema>;
export type ParavirtSyncConfig = z.output<typeof paravirtSyncSchema>;
