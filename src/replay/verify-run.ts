// `tracevisor replay` as a library call: rebuilds the platform a trace was recorded on (the
// manifest's resolved scenario, seed and duration), feeds its recorded inputs back, runs it in
// the recording's epochs and checks every batch and epoch as it goes (verify.ts). Returns the
// live Platform, so a caller that stopped early (time travel: --until / --break / --state) can
// look at the state there.

import { statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { CORE_COMPONENTS, CORE_DIGEST_VERSION, type ColumnsDigester } from '../core/api.js';
import { Platform } from '../platform/platform.js';
import { recordedFeed, type InputFeed } from '../platform/run-loop.js';
import { FileHashes, fileSha256 } from './file-hashes.js';
import { RecordedTableFile } from './recorded-events.js';
import { FrameBytesNeeded, RecordedColumnDigests } from './recorded-digests.js';
import { identityIntact } from '../trace/file-identity.js';
import { columnsDigesterOf } from '../platform/record.js';
import { inputRowsOf } from './recorded-inputs.js';
import { installInputHandlers } from '../inputs/handlers.js';
import type { PlatformSink } from '../platform/sink.js';
import { parseScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { TraceError } from '../trace/errors.js';
import { FileHashThread } from '../trace/file-hash-worker.js';
import { openCheckedTrace, type CheckedTrace } from '../trace/open.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { Trace } from '../trace/reader.js';
import { Recorder } from '../trace/recorder.js';
import type { Manifest } from '../trace/manifest-file.js';
import { packageInfo } from '../util/package-root.js';
import { readDigests, type TraceDigests } from './digest-file.js';
import { driveEpochs, EPOCH_NS_DEFAULT } from './digest-epochs.js';
import { ReplayVerifier, type RecordedTrace } from './verify.js';
import type { ResumePoint } from './verify-from.js';

/** A trace replay refuses (versions, inputs it cannot feed yet): one line, exit 2. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

export type ReplayStop = { untilNs: number } | (() => boolean);

export interface ReplayOptions {
  /** Write the replayed trace into this directory too. */
  output?: string;
  /** Replace a trace already in `output`. */
  overwrite?: boolean;
  /** Replay a trace recorded by another tool or core version. */
  force?: boolean;
  /** Run to the end after the first divergence (default: stop right after it). */
  keepGoing?: boolean;
  /** Stop early: at a virtual time, or when the predicate answers true (checked after every event). */
  stop?: ReplayStop;
  /**
   * How the recorded table files are checked against the manifest: 'thread' sha256 on a worker
   * thread while the run goes, 'here' on the replay's thread; 'auto' takes the thread for files
   * large enough and a core to spare (hashFilesOnThread; the default with `stop`). 'compare':
   * events and frames are compared byte for byte with the stream the replayed run encodes, and
   * hashed only when that does not cover every byte (a batch that differed, an early stop:
   * recorded-events.ts FileCheck); the small tables are hashed here. 'digests' (the default
   * without `stop`; issue 9's 1.2x target): events and frames by the recording's core digests
   * while identity.json vouches for their files (recorded-digests.ts), else 'compare'; 'auto'
   * takes the core digests the same way.
   */
  hashFiles?: 'auto' | 'thread' | 'here' | 'compare' | 'digests';
}

export interface ReplayOutcome {
  dir: string;
  platform: Platform;
  verifier: ReplayVerifier;
  /** The trace's manifest says the recording did not finish. */
  incomplete: boolean;
  /** The trace has no digests (recorded before them): batches were compared row by row. */
  rowByRow: boolean;
  /** Why the run ended: the recording's end, a divergence, the caller's stop, or the end of an incomplete trace. */
  ended: 'end' | 'divergence' | 'stop' | 'recording_end';
  /** Virtual time the platform stands at. */
  atNs: number;
  /**
   * How the events and frames batches were checked: 'core digests' (the recording's digests of
   * the core's columns, the files vouched for by identity.json: nothing read back), 'file bytes'
   * (compared with or hashed from the table files), 'batches' (the checked reader's batches:
   * an incomplete trace, or one without digests).
   */
  batchCheck?: 'core digests' | 'file bytes' | 'batches';
  /**
   * A frames batch differed while the run kept only the frames' hashes (the default with core
   * digests and no -o): the replay ran again keeping their bytes, and this is its outcome.
   */
  framesRerun?: boolean;
  /** --- replay --from (issue 10 §3): the snapshot the replay resumed from (verified from its time on). */
  resumedFrom?: ResumePoint | null;
  /** --from that could not resume (no snapshot, a refused one): why it verified from the start. */
  fromNote?: string | null;
}

export async function replayTrace(dir: string, options: ReplayOptions = {}): Promise<ReplayOutcome> {
  try {
    return await replayOnce(dir, options, false);
  } catch (error) {
    if (!(error instanceof FrameBytesNeeded)) throw error;
    // The run is deterministic: the same replay, this time with the frames' bytes to name the row.
    return { ...(await replayOnce(dir, options, true)), framesRerun: true };
  }
}

/**
 * One replay. keepFrameBytes false: when the frames batches are checked by their core digests
 * and nothing is written (-o), the ring keeps each frame's hash instead of its bytes (~28 MB
 * of copies per 10 s of the cockpit saved; assembly/trace/frames-ring.ts), and a batch that
 * differs throws FrameBytesNeeded.
 */
async function replayOnce(dir: string, options: ReplayOptions, keepFrameBytes: boolean): Promise<ReplayOutcome> {
  const manifest = Trace.open(dir).manifest;
  checkToolVersion(dir, manifest, options.force === true);
  const scenario = scenarioOf(dir, manifest);
  const digests = readDigests(dir, manifest);
  // a replay that stops early reads part of the files: hashing them as they are read beats comparing then hashing
  const { recorded, files } = recordedTrace(dir, manifest, digests, options.hashFiles ?? (options.stop === undefined ? 'digests' : 'auto'));
  // the core's batch digests (RecordedColumnDigests) come from the platform built below
  let columnsDigest: ColumnsDigester['columnsDigest'] | null = null;
  files?.bindDigest((table, count) => {
    if (columnsDigest === null) throw new Error('assert: a batch digest asked before the replay platform was built');
    return columnsDigest(table, count);
  });
  try {
    const feed = inputFeed(manifest, recorded);
    const vmNames = scenario.vms.map((vm) => vm.name);
    const verifier = new ReplayVerifier(recorded, digests, vmNames, files?.events ?? null, files?.frames ?? null);
    const epochNs = digests?.header.epochNs ?? manifest.digests?.epochNs ?? EPOCH_NS_DEFAULT;
    let recorder: Recorder | null = null;
    // --- frames table (issue 12 §1): frames recorded as the recording did (--no-frames: off)
    const platform = await Platform.create(scenario, sinkTo(() => recorder), { frames: manifest.frames !== 'off' });
    // The recording's input nodes and hosts, attached as recordScenario did (nothing is opened:
    // the inputs come from the recorded rows).
    installInputHandlers(platform, manifest.inputs ?? []);
    checkCoreVersion(dir, manifest, platform.core.version, options.force === true);
    columnsDigest = columnsDigesterOf(platform);
    if (!keepFrameBytes && options.output === undefined && files?.frames instanceof RecordedColumnDigests) {
      platform.core.framesKeepBytes(false);
      files.frames.bytesKept = false;
    }
    recorder = newRecorder(manifest, scenario, epochNs, verifier, options, columnsDigest);
    const active = recorder;
    try {
      const parts = { feed, epochNs, verifier, recorder: active, options, incomplete: !manifest.complete, files };
      const ended = await run(platform, scenario, parts);
      // The run's last events batch leaves at finish: compared before the events file is closed.
      if (ended === 'end') platform.finish();
      // A changed file is damage, whatever the run said (hashed as the run went: file-hashes.ts).
      if (files !== null) await checkFileHashes(dir, manifest, files);
      if (ended === 'end') {
        active.finish();
        verifier.finish();
      } else {
        active.abort();
      }
      const batchCheck = files === null ? 'batches' : files.events instanceof RecordedColumnDigests ? 'core digests' : 'file bytes';
      return { dir, platform, verifier, incomplete: !manifest.complete, rowByRow: digests === null, ended, atNs: platform.engine.now, batchCheck };
    } catch (error) {
      active.abort();
      throw error;
    }
  } finally {
    files?.close();
  }
}

export interface RunParts {
  feed: InputFeed;
  epochNs: number;
  verifier: ReplayVerifier;
  recorder: Recorder;
  options: ReplayOptions;
  incomplete: boolean;
  /** The table files being hashed (a finished trace with digests). */
  files: RecordedFiles | null;
  /** The platform was restored from a snapshot (replay --from): it runs on, it is not booted. */
  restored?: boolean;
}

/**
 * The recording's table files of a finished trace with digests, hashed while the replay runs:
 * on a worker thread (`thread`), or here: events and frames as their batches are compared
 * (recorded-events.ts), the others a share every epoch (`others`).
 */
export interface RecordedFiles {
  events: RecordedTableFile | RecordedColumnDigests;
  frames: RecordedTableFile | RecordedColumnDigests;
  others: FileHashes | null;
  thread: FileHashThread | null;
  /** The core digest RecordedColumnDigests asks (set once the platform exists). */
  bindDigest(digest: ColumnsDigester['columnsDigest']): void;
  close(): void;
}

const OTHER_TABLES = TABLE_NAMES.filter((t) => t !== 'events' && t !== 'frames');

export async function run(platform: Platform, scenario: Scenario, parts: RunParts): Promise<ReplayOutcome['ended']> {
  const { verifier, options } = parts;
  const userStop = typeof options.stop === 'function' ? options.stop : undefined;
  const untilNs = typeof options.stop === 'object' ? Math.min(options.stop.untilNs, scenario.durationNs) : scenario.durationNs;
  let why: ReplayOutcome['ended'] = 'end';
  const stop = (): boolean => {
    if (options.keepGoing !== true && verifier.divergence !== null) why = 'divergence';
    else if (parts.incomplete && verifier.reachedRecordingEnd()) why = 'recording_end';
    else if (userStop?.() === true) why = 'stop';
    return why !== 'end';
  };
  // The engine asks after every event (~0.5 M times in 10 s of the cockpit): a plain replay of
  // a finished trace can only stop at a divergence, so it asks nothing and the verifier has the
  // engine stop when it finds one (Engine.requestStop).
  const plain = userStop === undefined && !parts.incomplete;
  if (plain && options.keepGoing !== true) verifier.onDivergence = () => platform.engine.requestStop();
  const check = plain ? undefined : stop;
  if (parts.restored !== true) platform.boot();
  if (stop()) return why;
  const result = await driveEpochs(platform, untilNs, {
    feed: parts.feed,
    ...(check !== undefined ? { stop: check } : {}),
    epochNs: parts.epochNs,
    onEpoch: (epoch) => {
      verifier.onEpoch(epoch);
      parts.recorder.appendEpoch(epoch);
      parts.files?.others?.hashedTo(epoch.atNs / untilNs);
    },
  });
  if (result === 'stopped') {
    stop(); // why it stopped (a requested stop asked nothing)
    return why;
  }
  return untilNs < scenario.durationNs ? 'stop' : 'end';
}

export function newRecorder(
  manifest: Manifest, scenario: Scenario, epochNs: number, verifier: ReplayVerifier, options: ReplayOptions,
  columnsDigest: ColumnsDigester['columnsDigest'] | null = null,
): Recorder {
  const meta = {
    scenario: manifest.scenario, seed: scenario.seed, coreVersion: manifest.coreVersion, inputs: manifest.inputs ?? [],
    ...(manifest.frames !== undefined ? { frames: manifest.frames } : {}), // --- frames table (issue 12 §1)
  };
  const onBatch = verifier.onBatch.bind(verifier);
  const matchEvents = verifier.matchEvents.bind(verifier);
  const matchFrames = verifier.matchFrames.bind(verifier);
  const matchRows = verifier.matchRows.bind(verifier);
  if (options.output === undefined) return Recorder.detached(meta, { onBatch, matchEvents, matchFrames, matchRows });
  const digests = { epochNs, vms: scenario.vms.map((vm) => vm.name), core: [...CORE_COMPONENTS] };
  // -o writes the trace a recording writes: the core's batch digests too (digests.ndjson)
  return Recorder.create(options.output, meta, {
    overwrite: options.overwrite === true, digests, onBatch, ...(columnsDigest !== null ? { columnsDigest } : {}),
  });
}

/** The platform's output, to the recorder once it exists (building the platform emits events). */
export function sinkTo(recorder: () => Recorder | null): PlatformSink {
  const open = (): Recorder => {
    const r = recorder();
    if (r === null) throw new Error('assert: platform output before the replay recorder was created');
    return r;
  };
  return {
    events: (cols, count) => open().appendEvents(cols, count),
    dlt: (row) => open().appendDlt(row),
    clock: (row) => open().appendClock(row),
    input: (row) => open().appendInput(row),
    sync: (row) => open().appendSync(row), // --- clock sync (issue 11)
    frames: (cols, count) => open().appendFrames(cols, count), // --- frames table (issue 12 §1)
  };
}

export function scenarioOf(dir: string, manifest: Manifest): Scenario {
  const raw = manifest.scenario as { source?: unknown; vms?: unknown } | null;
  if (raw === null || typeof raw !== 'object' || !('vms' in raw)) {
    const what = typeof raw?.source === 'string' ? `imported from ${raw.source}` : 'its manifest holds no scenario';
    throw new ReplayError(`${dir}: not a recorded run (${what}); only traces written by tracevisor record can be replayed`);
  }
  const scenario = parseScenario(manifest.scenario, `${dir}/manifest.json (scenario)`);
  if (String(scenario.seed) !== manifest.seed) {
    throw new ReplayError(`${dir}: manifest seed ${manifest.seed} differs from its scenario's seed ${scenario.seed}; the manifest is inconsistent`);
  }
  return scenario;
}

export function checkToolVersion(dir: string, manifest: Manifest, force: boolean): void {
  const tool = packageInfo();
  if (force || (manifest.tool.name === tool.name && manifest.tool.version === tool.version)) return;
  throw new ReplayError(
    `${dir}: recorded by ${manifest.tool.name} ${manifest.tool.version}, this is ${tool.name} ${tool.version}; ` +
      'another version may replay differently: use --force to replay it anyway',
  );
}

export function checkCoreVersion(dir: string, manifest: Manifest, coreVersion: number, force: boolean): void {
  if (force || String(manifest.coreVersion) === String(coreVersion)) return;
  throw new ReplayError(
    `${dir}: recorded with core version ${manifest.coreVersion}, this tracevisor's core is version ${coreVersion}; ` +
      'another core may replay differently: use --force to replay it anyway',
  );
}

/**
 * The recording, checked. A finished trace with digests: each table file's sha256 against the
 * manifest (hashed while the run goes, checked before the answer), and the batch counts the
 * manifest gives; the files are read (and every batch validated) only if a digest differs and
 * rows must be shown (measured: the validating walk of the 10 s cockpit trace took as long as
 * hashing it, ~4-8 % of the replay). Else the checked reader's verify mode, or salvage for an
 * incomplete trace: its intact prefix.
 */
function recordedTrace(
  dir: string, manifest: Manifest, digests: TraceDigests | null, hashFiles: NonNullable<ReplayOptions['hashFiles']>,
): { recorded: RecordedTrace; files: RecordedFiles | null } {
  if (manifest.complete && digests !== null) {
    const files = openRecordedFiles(dir, manifest, hashFiles, digests);
    const batches = Object.fromEntries(TABLE_NAMES.map((t) => [t, manifest.tables[t]!.batches])) as Record<TableName, number>;
    let checked: CheckedTrace | null = null;
    return { recorded: { complete: true, batches, open: () => (checked ??= openCheckedTrace(dir, 'verify')) }, files };
  }
  const checked = openCheckedTrace(dir, manifest.complete ? 'verify' : 'salvage');
  const batches = Object.fromEntries(TABLE_NAMES.map((t) => [t, checked.tables[t].batchesUsable])) as Record<TableName, number>;
  return { recorded: { complete: manifest.complete, batches, open: () => checked }, files: null };
}

function unreadable(dir: string, error: unknown): TraceError {
  return new TraceError('trace_damaged', `${dir}: trace damaged: a table file cannot be read (${(error as Error).message})`);
}

/** The tables in the order their hashes are checked (events and frames first: recorded-events.ts). */
const HASHED_TABLES: readonly TableName[] = ['events', 'frames', ...OTHER_TABLES];

/**
 * Below this many bytes of table files the replay hashes them on its own thread: sha256 runs at
 * ~1.2 GB/s here (SHA-NI), so 32 MiB take ~28 ms, about what starting and ending a worker
 * costs (~35-40 ms of CPU, measured: bench/replay.ts "hash thread"). The 10 s cockpit has
 * ~44 MB (frames 30 MB), a 60 s one ~265 MB.
 */
export const HASH_THREAD_BYTES_MIN = 32 * 1024 * 1024;

export interface HostLoad {
  cores: number;
  /** Runnable threads on average over the last minute (os.loadavg()[0]). */
  loadAverage: number;
}

/**
 * Hash on a worker: asked, or 'auto' with the files large enough and a core to spare — at
 * least two, and the last minute's load average leaving one idle. The answer must wait for
 * the thread, so a thread that finds no core only makes the replay later: measured on the
 * shared 2-core host at load 9-10 (10 s cockpit, 11 rounds alternating), replay took 1.63x
 * recording off per round with the thread against 1.35x hashing on its own thread; on an idle
 * core the thread takes the ~35 ms of sha256 off the replay's path. Where the hashing runs
 * changes no answer, only when it comes.
 */
export function hashFilesOnThread(
  hashFiles: NonNullable<ReplayOptions['hashFiles']>,
  totalBytes: number,
  host: HostLoad = { cores: availableParallelism(), loadAverage: loadavg()[0]! },
): boolean {
  if (hashFiles !== 'auto') return hashFiles === 'thread'; // 'compare' and 'digests' hash the small tables here
  return totalBytes >= HASH_THREAD_BYTES_MIN && host.cores >= 2 && host.loadAverage <= host.cores - 1;
}

function openRecordedFiles(dir: string, manifest: Manifest, hashFiles: NonNullable<ReplayOptions['hashFiles']>, digests: TraceDigests): RecordedFiles {
  const path = (table: TableName): string => join(dir, manifest.tables[table]!.file);
  let digest: ColumnsDigester['columnsDigest'] | null = null;
  const bound: ColumnsDigester['columnsDigest'] = (table, count) => digest!(table, count);
  const bindDigest = (d: ColumnsDigester['columnsDigest']): void => void (digest = d);
  if (coreDigestsServe(dir, manifest, hashFiles, digests)) {
    // events and frames by the core's digests, their files by identity: neither is read; the
    // small tables' files are hashed only when their identity does not hold (their batches
    // are checked by their digests either way)
    const events = new RecordedColumnDigests(path('events'), 'events', digests.batches.events, bound);
    const frames = new RecordedColumnDigests(path('frames'), 'frames', digests.batches.frames, bound);
    const others = identityIntact(dir, OTHER_TABLES.map((t) => manifest.tables[t]!.file)) ? null : new FileHashes(OTHER_TABLES.map(path));
    return { events, frames, others, thread: null, bindDigest, close: () => others?.close() };
  }
  let events: RecordedTableFile | null = null;
  let frames: RecordedTableFile | null = null;
  let thread: FileHashThread | null = null;
  try {
    const onThread = hashFilesOnThread(hashFiles, HASHED_TABLES.reduce((n, t) => n + statSync(path(t)).size, 0));
    const check = hashFiles === 'compare' || hashFiles === 'digests' ? 'compare' : onThread ? 'none' : 'hash';
    events = new RecordedTableFile(path('events'), 'events', check);
    frames = new RecordedTableFile(path('frames'), 'frames', check);
    // The thread reads the files on its own (page-cache reads cost ~0.1 ms per MB): nothing is
    // shared, and what it hashes is what is on disk at the end, however the replay read it.
    thread = onThread ? new FileHashThread(HASHED_TABLES.map(path)) : null;
    const others = onThread ? null : new FileHashes(OTHER_TABLES.map(path));
    const [e, f, t] = [events, frames, thread];
    return { events: e, frames: f, others, thread: t, bindDigest, close: () => (e.close(), f.close(), others?.close(), t?.close()) };
  } catch (error) {
    events?.close();
    frames?.close();
    thread?.close();
    throw unreadable(dir, error);
  }
}

/**
 * 'digests' and 'auto' (the defaults) take the core's batch digests when the recording has one
 * for every events and frames batch and identity.json says both files are the recorder's
 * (file-identity.ts); 'compare', 'thread' and 'here' read the files (the bench times each).
 */
function coreDigestsServe(dir: string, manifest: Manifest, hashFiles: NonNullable<ReplayOptions['hashFiles']>, digests: TraceDigests): boolean {
  if (hashFiles !== 'digests' && hashFiles !== 'auto') return false;
  if (digests.header.coreDigest !== CORE_DIGEST_VERSION) return false; // another definition: the files are compared
  const covered = (['events', 'frames'] as const).every((t) => RecordedColumnDigests.cover(digests.batches[t], manifest.tables[t]!.batches));
  return covered && identityIntact(dir, [manifest.tables.events!.file, manifest.tables.frames!.file]);
}

/** Each table file's sha256 in HASHED_TABLES order, from the thread or finished here. */
async function fileHashes(files: RecordedFiles, manifest: Manifest, dir: string): Promise<(string | null)[]> {
  if (files.events instanceof RecordedColumnDigests && files.frames instanceof RecordedColumnDigests) {
    // events and frames by the core digests (the small tables' files hashed as the run went,
    // or vouched for by their identity too): asked again at the end, the run took a while
    const byIdentity = [files.events.table, files.frames.table, ...(files.others === null ? OTHER_TABLES : [])];
    const vouchedFor = identityHashes(dir, manifest, byIdentity);
    return files.others === null ? vouchedFor : [...vouchedFor, ...files.others.finish()];
  }
  const { events, frames } = files;
  if (events instanceof RecordedColumnDigests || frames instanceof RecordedColumnDigests) {
    throw new Error('assert: events and frames are checked the same way (openRecordedFiles makes both or neither)');
  }
  const columns = [vouched(events, manifest), vouched(frames, manifest)];
  if (files.thread !== null) return files.thread.result();
  return [...columns, ...(files.others?.finish() ?? [])];
}

/**
 * The tables' files unchanged since the recorder wrote them (identity.json, one read for all):
 * the manifest's sha256 of each; a file whose identity no longer holds is hashed.
 */
function identityHashes(dir: string, manifest: Manifest, tables: readonly TableName[]): string[] {
  const files = tables.map((t) => manifest.tables[t]!.file);
  if (identityIntact(dir, files)) return tables.map((t) => manifest.tables[t]!.sha256);
  return tables.map((t, i) => (identityIntact(dir, [files[i]!]) ? manifest.tables[t]!.sha256 : fileSha256(join(dir, files[i]!))));
}

/**
 * A 'compare' file equal byte for byte to the replayed run's stream is the recorded file: the
 * manifest's hash stands; else (and in the other modes) the file's own sha256, read whole.
 */
function vouched(file: RecordedTableFile, manifest: Manifest): string | null {
  if (file.check !== 'compare') return file.finish();
  const whole = file.comparedWhole();
  file.close();
  return whole ? manifest.tables[file.table]!.sha256 : fileSha256(file.path);
}

/** Finishes hashing the table files; a file that differs from the manifest is damage. */
async function checkFileHashes(dir: string, manifest: Manifest, files: RecordedFiles): Promise<void> {
  let hashes: (string | null)[];
  try {
    hashes = await fileHashes(files, manifest, dir);
  } catch (error) {
    throw unreadable(dir, error);
  }
  const bad = HASHED_TABLES.find((table, i) => hashes[i] !== manifest.tables[table]!.sha256);
  if (bad !== undefined) {
    throw new TraceError('trace_damaged', `${dir}: trace damaged: ${bad}: content hash differs from the manifest; it cannot be replayed against (record it again)`);
  }
}

/** The recorded inputs, fed back at their ts_ns in seq order (run-loop.ts recordedFeed). */
function inputFeed(manifest: Manifest, recorded: RecordedTrace): InputFeed {
  if (manifest.complete && manifest.tables.inputs!.rows === 0) return recordedFeed([]);
  return recordedFeed(inputRowsOf(recorded.open().batches('inputs')));
}

