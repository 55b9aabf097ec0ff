// What a sweep's worker is given and what it answers: plain data (structured-clone safe), so the
// same job runs in a worker thread, in the main thread (tests) or, later, on another machine.
// The scenario arrives fully resolved (built-in name or file read, CLI overrides such as
// --duration, and later --fault and file inputs, already applied and validated) except for the
// seed: a new CLI option changes how the job is built, never the worker.

import type { ManifestInput } from '../trace/manifest.js';

export interface SweepJob {
  /** The resolved scenario as JSON (a validated Scenario); the worker sets `seed` on it. */
  scenario: unknown;
  /** Where the scenario came from (a name or a path), for error messages. */
  scenarioSource: string;
  seed: number;
  /** The check's SQL: a seed fails when its last statement returns at least one row. */
  checkSql: string;
  /** Record the run as a trace directory here (the worker creates or replaces it). */
  recordDir?: string;
  /** candump file inputs (the manifest's form); the worker reads the files itself. */
  inputs?: ManifestInput[];
  /** 1 for a seed's run, 2 for its --recheck re-run. */
  attempt: 1 | 2;
  hooks?: TestHooks;
}

/**
 * Test-only doors (set from TRACEVISOR_TEST_* environment variables by the CLI, never by an
 * option): they plant the defects the sweep must catch.
 */
export interface TestHooks {
  /** A re-run (attempt 2) runs 1 µs of virtual time longer: planted nondeterminism. */
  nondeterministicRecheck?: boolean;
  /** This seed's run throws, as an internal error of tracevisor would. */
  throwOnSeed?: number;
  /** The worker thread running this seed dies (as on a native crash or running out of memory). */
  crashOnSeed?: number;
}

export type RunStatus = 'pass' | 'fail' | 'error';

export interface SeedOutcome {
  seed: number;
  attempt: 1 | 2;
  status: RunStatus;
  /** Rows per table (0 when the run threw). */
  events: number;
  dltRows: number;
  clockRows: number;
  inputRows: number;
  /** Wall time of the run and its check, in the worker (ms). */
  wallMs: number;
  /** Rows the check's last statement returned. */
  checkRows: number;
  /** sha256 over every table's column bytes (digest.ts); '' when the run threw. */
  digest: string;
  /** The error's one line, for status 'error'. */
  error?: string;
  /** 'check': the check's SQL failed on this run's data (the user's to fix); 'internal': the
   *  run itself threw (a defect of tracevisor). */
  errorKind?: 'check' | 'internal';
  /** The trace directory written, when the job asked for one. */
  recordedDir?: string;
}
