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

export interface Travel {
  /** Lines for the user's stderr (from opening the query store for --break). */
  warnings: string[];
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
  const platform = await Platform.create(scenario, new CountingSink());
  if (String(platform.core.version) !== String(trace.manifest.coreVersion)) {
    throw new TravelError(
      `${traceDir}: recorded by core version ${trace.manifest.coreVersion}, this tracevisor has ` +
        `${platform.core.version}; re-execution would not be the recorded run`,
    );
  }
  // The recording's input nodes and hosts, attached as record did; the inputs themselves come
  // from the recorded rows (no source is opened).
  installInputHandlers(platform, trace.manifest.inputs ?? []);
  const noInputs = trace.manifest.complete && trace.manifest.tables.inputs!.rows === 0;
  const feed = recordedFeed(noInputs ? [] : inputRowsOf(trace.batches('inputs')));
  platform.boot();
  // Building the platform writes rows too (ring set-up touches guest memory: tlb_miss); a break
  // on one of those stops before the run starts.
  const duringBuild = event !== null && platform.core.seqNext() > event.seq;
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
  return { warnings, scenario, platform, stop: stopped };
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
