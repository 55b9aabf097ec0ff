// `tracevisor replay <trace> --from <t>` (issue 10 §3): like rr, `replay` verifies from the start;
// `--from t` restores the latest snapshot at or before t and verifies from that snapshot's moment
// on (verify-from.ts), saying so. Without a usable snapshot (none that early, a trace without
// digests, a damaged or foreign one) it verifies from the start and says why.

import { join } from 'node:path';
import { recordedFeed } from '../platform/run-loop.js';
import { formatDuration } from '../scenario/duration.js';
import { isSnapshotRefusal, pickSnapshot, restorePlatform } from '../snapshot/platform-snapshot.js';
import { Trace } from '../trace/reader.js';
import type { Recorder } from '../trace/recorder.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { readDigests } from './digest-file.js';
import { EPOCH_NS_DEFAULT } from './digest-epochs.js';
import { inputRowsOf } from './recorded-inputs.js';
import { ResumedVerifier, type ResumePoint } from './verify-from.js';
import {
  checkCoreVersion,
  checkToolVersion,
  newRecorder,
  ReplayError,
  replayTrace,
  run,
  scenarioOf,
  sinkTo,
  type ReplayOptions,
  type ReplayOutcome,
} from './verify-run.js';

export async function replayFrom(dir: string, fromNs: number, options: ReplayOptions = {}): Promise<ReplayOutcome> {
  const trace = Trace.open(dir);
  const { manifest } = trace;
  checkToolVersion(dir, manifest, options.force === true);
  const scenario = scenarioOf(dir, manifest);
  if (fromNs > scenario.durationNs) {
    throw new ReplayError(`--from ${formatDuration(fromNs)}: beyond the end of the run (${formatDuration(scenario.durationNs)}); give a time within it`);
  }
  const fromStart = async (why: string): Promise<ReplayOutcome> => ({ ...(await replayTrace(dir, options)), resumedFrom: null, fromNote: why });
  const digests = readDigests(dir, manifest);
  if (!manifest.complete || digests === null) return fromStart('the trace is incomplete or has no digests, so it cannot be checked from a snapshot');
  const pick = pickSnapshot(manifest.snapshots ?? [], fromNs);
  if (pick === null) return fromStart(`no snapshot at or before ${formatDuration(fromNs)}`);
  let recorder: Recorder | null = null;
  let restored;
  try {
    restored = await restorePlatform(dir, pick.id, scenario, sinkTo(() => recorder), manifest.inputs ?? []);
  } catch (error) {
    if (!isSnapshotRefusal(error)) throw error;
    return fromStart(`${error.message}; re-executed from the start instead`);
  }
  const { platform } = restored;
  checkCoreVersion(dir, manifest, platform.core.version, options.force === true);
  const at: ResumePoint = { id: pick.id, timeNs: pick.timeNs, seq: pick.seq };
  const paths = Object.fromEntries(TABLE_NAMES.map((t) => [t, join(dir, manifest.tables[t]!.file)])) as Record<TableName, string>;
  const batches = Object.fromEntries(TABLE_NAMES.map((t) => [t, manifest.tables[t]!.batches])) as Record<TableName, number>;
  const recordedTrace = { complete: true, batches, open: () => { throw new Error('assert: a resumed replay reads through its cursors'); } };
  const vmNames = scenario.vms.map((vm) => vm.name);
  const verifier = new ResumedVerifier(dir, recordedTrace, digests, vmNames, paths, at);
  const epochNs = digests.header.epochNs ?? EPOCH_NS_DEFAULT;
  recorder = newRecorder(manifest, scenario, epochNs, verifier, options);
  const active = recorder;
  // Inputs stamped at or before the snapshot's time were applied before it was taken (run-loop.ts).
  const inputs = inputRowsOf(trace.batches('inputs')).filter((r) => Number(r.ts_ns) > at.timeNs);
  try {
    const parts = { feed: recordedFeed(inputs), epochNs, verifier, recorder: active, options, incomplete: false, files: null, restored: true };
    const ended = await run(platform, scenario, parts);
    if (ended === 'end') {
      platform.finish();
      active.finish();
      verifier.finish();
    } else {
      active.abort();
    }
    return { dir, platform, verifier, incomplete: false, rowByRow: false, ended, atNs: platform.engine.now, resumedFrom: at, fromNote: null };
  } catch (error) {
    active.abort();
    throw error;
  } finally {
    verifier.close();
  }
}
