// A platform's run-time state as one plain record (issue 10 §1): what a snapshot stores on the
// TypeScript side and what a restore puts back. It is generic over the engine's targets: every
// registered target that holds state (src/engine/event-target.ts StatefulTarget: the platform,
// scheduler and vCPUs, each VM with its program and DLT counters, devices with their drivers,
// ECUs, input nodes) saves and checks its own part, and the engine queue is a list of records
// that name targets by id. The core's state (WASM memory and globals) is the `core` field,
// opaque here: Core.snapshot()/restore() (issue 10 §3) fill and read it.
//
// Restoring is the one door (STYLE.md, rust-vmm's QueueState): the record is checked against
// the fresh platform — same format, same scenario, same targets in the same order, every event
// naming a target that exists at a time not before now — before any part is assigned; each
// target then parses its own part with its schema. A bad field is a StateError naming its path.

import { z } from 'zod';
import type { EngineState } from '../engine/engine.js';
import { isStateful } from '../engine/event-target.js';
import { StateError, checkState, count, requireState } from '../engine/state-check.js';
import type { Platform } from './platform.js';

export const STATE_FORMAT = 'tracevisor-platform-state';
export const STATE_VERSION = 1;

/** A platform's captured run-time state (JSON-serialisable). */
export interface PlatformState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** The scenario it was captured from (a restore refuses another). */
  scenario: string;
  seed: number;
  engine: EngineState;
  /** Every engine target by id: its name and its state (null: it holds none). */
  targets: { name: string; state: unknown }[];
  /** The core's own state, opaque to this module (null: not captured). */
  core: unknown;
}

export interface RestoreOptions {
  /** Restores the state's `core` part; called after wiring, before the TypeScript state loads. */
  restoreCore?: (core: unknown) => void;
}

const eventSchema = z.strictObject({
  timeNs: count, seq: count, target: count, op: count, a0: z.number(), a1: z.number(), a2: z.number(),
});
const stateSchema = z.strictObject({
  format: z.literal(STATE_FORMAT),
  version: z.literal(STATE_VERSION),
  scenario: z.string(),
  seed: z.number().int(),
  engine: z.strictObject({ nowNs: count, seqNext: count, eventsRun: count, events: z.array(eventSchema) }),
  targets: z.array(z.strictObject({ name: z.string(), state: z.unknown() })),
  core: z.unknown(),
});

export function capturePlatformState(platform: Platform, core: unknown): PlatformState {
  for (const vm of platform.vms) if (!vm.quiescent) throw new Error('assert: captureState inside a guest event');
  const { engine } = platform;
  const targets = engine.targetList.map((name, id) => {
    const target = engine.targetOf(id);
    return { name, state: isStateful(target) ? target.saveState() : null };
  });
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    scenario: platform.scenario.name,
    seed: platform.scenario.seed,
    engine: engine.saveState(),
    targets,
    core,
  };
}

export function restorePlatformState(platform: Platform, value: unknown, options: RestoreOptions): void {
  const state = checkState(stateSchema, value, 'state');
  const { engine, scenario } = platform;
  requireState(state.scenario === scenario.name, 'state.scenario', `"${state.scenario}", this platform runs "${scenario.name}"`);
  requireState(state.seed === scenario.seed, 'state.seed', `${state.seed}, this platform's seed is ${scenario.seed}`);
  checkTargets(platform, state.targets);
  checkEvents(platform, state.engine);
  options.restoreCore?.(state.core);
  state.targets.forEach((t, id) => {
    const target = engine.targetOf(id);
    const path = `state.targets[${id}] (${t.name})`;
    if (isStateful(target)) target.loadState(t.state, path);
    else requireState(t.state === null, path, 'state for a target that holds none');
  });
  engine.loadState(state.engine);
}

/** The same targets in the same order: otherwise event target ids would name other handlers. */
function checkTargets(platform: Platform, targets: readonly { name: string }[]): void {
  const names = platform.engine.targetList;
  const counts = `${targets.length} targets, this platform has ${names.length} (another scenario or other inputs?)`;
  requireState(targets.length === names.length, 'state.targets', counts);
  targets.forEach((t, id) => {
    if (t.name !== names[id]) throw new StateError(`state.targets[${id}].name: "${t.name}", this platform's target ${id} is "${names[id]}"`);
  });
}

function checkEvents(platform: Platform, e: z.infer<typeof stateSchema>['engine']): void {
  const targets = platform.engine.targetList.length;
  const seqs = new Set<number>();
  e.events.forEach((ev, i) => {
    const path = `state.engine.events[${i}]`;
    requireState(ev.target < targets, `${path}.target`, `${ev.target} is not an event target (0..${targets - 1})`);
    requireState(ev.timeNs >= e.nowNs, `${path}.timeNs`, `${ev.timeNs} is before the state's time ${e.nowNs}`);
    requireState(ev.seq < e.seqNext, `${path}.seq`, `${ev.seq} is not below seqNext ${e.seqNext}`);
    requireState(!seqs.has(ev.seq), `${path}.seq`, `${ev.seq} is used twice`);
    seqs.add(ev.seq);
  });
}
