// Time travel (issue 9 §4): bring a recorded run's platform to a moment by re-executing it.
// The platform is rebuilt from the trace's manifest (resolved scenario, seed), fed the recorded
// `inputs` rows, and driven to the moment: a virtual time (--until) or right after a recorded
// event (--break). Seeking by re-execution is exact because a run is deterministic
// (ARCHITECTURE principle 1); snapshots for fast seek can later replace the re-execution here
// without touching what reads the state (state.ts).

import { drive, recordedFeed } from '../platform/run-loop.js';
import { Platform } from '../platform/platform.js';
import { CountingSink } from '../platform/sink.js';
import { parseDuration } from '../scenario/duration.js';
import { parseScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { TraceError } from '../trace/errors.js';
import { Trace } from '../trace/reader.js';
import { findBreakEvent, type BreakEvent } from './break.js';
import { installInputHandlers } from '../inputs/handlers.js';
import { inputRowsOf } from './recorded-inputs.js';
import { TravelError } from './travel-error.js';
import { isSnapshotRefusal, pickSnapshot, restorePlatform } from '../snapshot/platform-snapshot.js';
import type { ManifestInput } from '../trace/manifest-file.js';

export interface TravelRequest {
  /** Stop at this virtual time, after every event at or before it (default: the run's end). */
  untilNs?: number;
  /** Stop right after the first recorded event matching this SQL predicate over `events`. */
  breakPredicate?: string;
}

export interface TravelStop {
  reason: 'until' | 'break';
  /** Virtual time the platform stands at. */
  timeNs: number;
  /** Sequence number the next event row (or core timer) would get. */
  seqNext: number;
  /** --break: the recorded event it stopped after. */
  event: BreakEvent | null;
  /** The event was written while the platform was built (before any event ran): no step ran. */
  duringBuild: boolean;
}

/** The snapshot a travel started from (issue 10 §3). */
export interface SnapshotStart {
  id: string;
  timeNs: number;
}

export interface Travel {
  /** Lines for the user's stderr (from opening the query store for --break, a refused snapshot). */
  warnings: string[];
  /** The snapshot the run was restored from, null when it re-executed from the start. */
  from: SnapshotStart | null;
  scenario: Scenario;
  platform: Platform;
  stop: TravelStop;
}

/** The scenario a trace was recorded from, checked as a scenario file would be. */
export function traceScenario(traceDir: string): { trace: Trace; scenario: Scenario } {
  let trace: Trace;
  try {
    trace = Trace.open(traceDir);
  } catch (error) {
    if (error instanceof TraceError) throw new TravelError(error.message);
    throw error;
  }
  const { manifest } = trace;
  const scenario = parseScenario(manifest.scenario, `${traceDir}/manifest.json (scenario)`);
  if (String(scenario.seed) !== manifest.seed) {
    throw new TravelError(
      `${traceDir}/manifest.json: seed ${manifest.seed} differs from its scenario's seed ${scenario.seed}; ` +
        'the manifest is inconsistent',
    );
  }
  return { trace, scenario };
}

export async function travel(traceDir: string, request: TravelRequest): Promise<Travel> {
  const { trace, scenario } = traceScenario(traceDir);
  const predicate = request.breakPredicate;
  const warnings: string[] = [];
  const event = predicate === undefined ? null : await breakEvent(traceDir, predicate, warnings);
  const untilNs = request.untilNs ?? scenario.durationNs;
  if (untilNs > scenario.durationNs) {
    throw new TravelError(`--until ${untilNs} ns is beyond the end of the run (${scenario.durationNs} ns)`);
  }
  const inputs = trace.manifest.inputs ?? [];
  const noInputs = trace.manifest.complete && trace.manifest.tables.inputs!.rows === 0;
  const inputRows = noInputs ? [] : inputRowsOf(trace.batches('inputs'));
  // Fast seek (issue 10 §3): start from the latest snapshot before the target, when the trace
  // has one that can be used; otherwise (none, damaged, foreign) re-execute from the start.
  const start = await startingPoint(traceDir, trace, scenario, inputs, untilNs, event, warnings);
  const { platform, from } = start;
  if (String(platform.core.version) !== String(trace.manifest.coreVersion)) {
    throw new TravelError(
      `${traceDir}: recorded by core version ${trace.manifest.coreVersion}, this tracevisor has ` +
        `${platform.core.version}; re-execution would not be the recorded run`,
    );
  }
  // Inputs stamped at or before a snapshot's time were applied before it was taken (run-loop.ts).
  const feed = recordedFeed(from === null ? inputRows : inputRows.filter((r) => Number(r.ts_ns) > from.timeNs));
  // Building the platform writes rows too (ring set-up touches guest memory: tlb_miss); a break
  // on one of those stops before the run starts.
  const duringBuild = from === null && event !== null && platform.core.seqNext() > event.seq;
  // A core (or engine) step can emit several rows: the stop is asked after each step, so it
  // lands at the end of the step that emitted the event (src/engine/engine.ts runUntil).
  const stop = event === null ? undefined : (): boolean => platform.core.seqNext() > event.seq;
  const outcome = duringBuild
    ? 'stopped'
    : await drive(platform, untilNs, { feed, ...(stop ? { stop } : {}) });
  if (event !== null && outcome !== 'stopped') {
    throw new TravelError(
      `${traceDir}: the replay ended at ${platform.engine.now} ns without emitting event seq ` +
        `${event.seq}; the trace does not re-execute identically (tampered, or another version)`,
    );
  }
  const stopped: TravelStop = {
    reason: event === null ? 'until' : 'break',
    timeNs: platform.engine.now,
    seqNext: platform.core.seqNext(),
    event,
    duringBuild,
  };
  return { warnings, scenario, platform, stop: stopped, from };
}

/**
 * The platform to run from: restored from the latest usable snapshot at or before untilNs (and
 * before the break's event), or freshly built and booted. A snapshot that is refused (damaged,
 * foreign, another build) is said in a warning and the run starts from the beginning.
 */
async function startingPoint(
  traceDir: string,
  trace: Trace,
  scenario: Scenario,
  inputs: ManifestInput[],
  untilNs: number,
  event: BreakEvent | null,
  warnings: string[],
): Promise<{ platform: Platform; from: SnapshotStart | null }> {
  const entries = trace.manifest.complete ? trace.manifest.snapshots ?? [] : [];
  const pick = pickSnapshot(entries, untilNs, event?.seq);
  if (pick !== null) {
    try {
      const { platform } = await restorePlatform(traceDir, pick.id, scenario, new CountingSink(), inputs);
      return { platform, from: { id: pick.id, timeNs: pick.timeNs } };
    } catch (error) {
      if (!isSnapshotRefusal(error)) throw error;
      warnings.push(`${error.message}; re-executing from the start instead`);
    }
  }
  const platform = await Platform.create(scenario, new CountingSink());
  // The recording's input nodes and hosts, attached as record did; the inputs themselves come
  // from the recorded rows (no source is opened).
  installInputHandlers(platform, inputs);
  platform.boot();
  return { platform, from: null };
}

async function breakEvent(traceDir: string, predicate: string, warnings: string[]): Promise<BreakEvent> {
  const event = await findBreakEvent(traceDir, predicate, warnings);
  if (event === null) {
    throw new TravelError(
      `--break "${predicate}": no recorded event of ${traceDir} matches; nothing to stop at (look ` +
        `with: tracevisor query ${traceDir} "SELECT kind, count(*) FROM events GROUP BY ALL")`,
    );
  }
  return event;
}

/** Parses --until: a duration with a unit (2.5s, 1500ms, 20us) or plain integer nanoseconds. */
export function parseUntil(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed))) return Number(trimmed);
  const ns = parseDuration(trimmed);
  if (ns === null) {
    throw new TravelError(`--until "${text}": expected a virtual time such as 2.5s, 1500ms or 2500000000 (ns)`);
  }
  return ns;
}
