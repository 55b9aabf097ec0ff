// Loading scenarios: built-in by name, or a JSON file; every problem is reported on its own line
// with the field path, so a user can fix a file without reading our source.

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.js';
import { builtinScenarioDir } from '../util/package-root.js';

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
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.length === 0 ? '(top level)' : formatPath(issue.path);
    return `${path}: ${issue.message}`;
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** Validates an already-parsed JSON value. */
export function parseScenario(value: unknown, source: string): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (!result.success) throw new ScenarioError(source, describeIssues(result.error.issues));
  return result.data;
}

/** Loads a built-in scenario by name, or a scenario file by path. */
export function loadScenario(nameOrPath: string = DEFAULT_SCENARIO): Scenario {
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
  return parseScenario(json, nameOrPath);
}

export function listBuiltinScenarios(): { name: string; description: string }[] {
  return BUILTIN_SCENARIOS.map((name) => {
    const s = loadScenario(name);
    return { name, description: s.description };
  });
}
