// Loading scenarios: built-in by name, or a JSON file; every problem is reported on its own line
// with the field path, so a user can fix a file without reading our source.

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.js';
import { builtinScenarioDir } from '../util/package-root.js';
import { formatPath } from './field-path.js';

export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${source}: ${p}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

export const DEFAULT_SCENARIO = 'cockpit';

function builtinDir(): string {
  return builtinScenarioDir();
}

export const BUILTIN_SCENARIOS = ['cockpit', 'hostile'] as const;

export function isBuiltin(nameOrPath: string): boolean {
  return (BUILTIN_SCENARIOS as readonly string[]).includes(nameOrPath);
}

/** Formats zod issues as `field.path: message` lines. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[], cliFaults: CliFaultOverride = { fileCount: 0, specs: [] },
): string[] {
  return issues.map((issue) => {
    const [head, index, ...rest] = issue.path;
    const cli = head === 'faults' && typeof index === 'number' ? cliFaults.specs[index - cliFaults.fileCount] : undefined;
    if (cli !== undefined) return `--fault ${cli}: ${rest.length === 0 ? '' : `${formatPath(rest)}: `}${issue.message}`;
    const path = issue.path.length === 0 ? '(top level)' : formatPath(issue.path);
    return `${path}: ${issue.message}`;
  });
}

/** Validates an already-parsed JSON value. */
export function parseScenario(value: unknown, source: string, cliFaults: CliFaultOverride = { fileCount: 0, specs: [] }): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (!result.success) throw new ScenarioError(source, describeIssues(result.error.issues, cliFaults));
  return result.data;
}

/**
 * `record --fault` entries (issue 9 §5) go after the file's own `faults[]`; a problem with one of
 * them names the option as given (`--fault link_loss:mac=…: mac: …`), not a path in the file.
 */
export interface CliFaultOverride {
  fileCount: number;
  specs: string[];
}

/** The JSON with the overrides in; `--fault`s appended to the file's faults. */
export function applyOverrides(json: unknown, overrides: ScenarioOverrides): { value: unknown; cliFaults: CliFaultOverride } {
  const { faults = [], ...fields } = overrides;
  const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
  if (!isObject) return { value: json, cliFaults: { fileCount: 0, specs: [] } };
  const own = (json as { faults?: unknown }).faults;
  const fileFaults = Array.isArray(own) ? own : own === undefined ? [] : null;
  const value = { ...json, ...fields, ...(faults.length > 0 && fileFaults !== null ? { faults: [...fileFaults, ...faults.map((f) => f.fault)] } : {}) };
  return { value, cliFaults: { fileCount: fileFaults?.length ?? 0, specs: faults.map((f) => f.spec) } };
}

/**
 * Fields given on the command line instead of in the file. They are put into the file's JSON
 * before validation, so the checks that depend on them (a bus budget's debt over the run's
 * length) see the values that will run.
 */
export interface ScenarioOverrides {
  durationNs?: number;
  seed?: number;
  /** `record --fault`, parsed (src/faults/cli-spec.ts) */
  faults?: { spec: string; fault: Record<string, unknown> }[];
}

/** Loads a built-in scenario by name, or a scenario file by path. */
export function loadScenario(
  nameOrPath: string = DEFAULT_SCENARIO,
  overrides: ScenarioOverrides = {},
): Scenario {
  const { value, cliFaults } = applyOverrides(readScenarioJson(nameOrPath), overrides);
  return parseScenario(value, nameOrPath, cliFaults);
}

/** The text of a built-in scenario file, as shipped (`scenarios --show`: a template to copy). */
export function builtinScenarioText(name: string): string {
  if (!isBuiltin(name)) {
    throw new ScenarioError(name, [`not a built-in scenario (built-ins: ${BUILTIN_SCENARIOS.join(', ')})`]);
  }
  return readFileSync(join(builtinDir(), `${name}.json`), 'utf8');
}

function readScenarioJson(nameOrPath: string): unknown {
  const path = isBuiltin(nameOrPath) ? join(builtinDir(), `${nameOrPath}.json`) : nameOrPath;
  if (!existsSync(path)) {
    throw new ScenarioError(nameOrPath, [
      `no such file, and not a built-in scenario (built-ins: ${BUILTIN_SCENARIOS.join(', ')})`,
    ]);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScenarioError(nameOrPath, [`cannot read: ${(err as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(nameOrPath, [`not valid JSON: ${(err as Error).message}`]);
  }
  return json;
}

export function listBuiltinScenarios(): { name: string; description: string }[] {
  return BUILTIN_SCENARIOS.map((name) => {
    const s = loadScenario(name);
    return { name, description: s.description };
  });
}
