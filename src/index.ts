// tracevisor as a library: the package's "exports" entry (dist/src/index.js, with declarations).
// Small on purpose: what the CLI does, callable from code — load a scenario, record it to a trace
// directory, open a trace and query it in SQL, import DLT files and export a trace as DLT. Every
// name here is part of the stable API (README "Library API"); everything else is internal.

// Scenarios: a built-in by name or a JSON file by path, or a parsed JSON value; problems are a
// ScenarioError whose message has one `source: field.path: problem` line each.
export {
  BUILTIN_SCENARIOS,
  DEFAULT_SCENARIO,
  ScenarioError,
  loadScenario,
  parseScenario,
  type ScenarioOverrides,
} from './scenario/load.js';
export type { Scenario, ScenarioInput } from './scenario/schema.js';

// Recording: runs a scenario for its durationNs of virtual time into a trace directory
// (manifest.json + one Arrow IPC stream file per table), deterministically.
export { recordScenario, type RecordOptions, type RecordResult } from './platform/record.js';
export type { RunSummary } from './platform/platform.js';

// Traces: the manifest (row counts, hashes, the scenario) and the reader's errors.
export { readManifest, type Manifest } from './trace/manifest.js';
export { TraceError } from './trace/errors.js';

// Queries: an in-memory DuckDB over one trace; named queries are the SQL modules in queries/.
export { QuerySession, type QueryParams, type QueryResult, type ResultColumn } from './query/session.js';
export { QueryError } from './query/errors.js';
export { listNamedQueries, type NamedQuery } from './query/named.js';

// DLT: storage files (dlt-receive -o, dlt-viewer) in, a trace's dlt table out.
export {
  importDltFiles,
  type DltImportFile,
  type DltImportOptions,
  type DltImportResult,
} from './formats/dlt/import.js';
export { DltExportError, exportDltFile, type DltExportResult } from './formats/dlt/export.js';

// Replay (issue 9): a trace re-run from its manifest and checked against the recording as it goes
// (stop at a time or a predicate; the live Platform is returned), two traces compared, and the
// platform's state at a moment (travel + collectState: plain data, as `replay --state` prints).
export { ReplayError, replayTrace, type ReplayOptions, type ReplayOutcome, type ReplayStop } from './replay/verify-run.js';
export { diffTraces, type TraceDiff } from './replay/diff.js';
export { travel, type Travel, type TravelRequest, type TravelStop } from './replay/travel.js';
export { collectState, type PlatformState } from './replay/state.js';
