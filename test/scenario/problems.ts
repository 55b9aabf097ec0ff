// The load errors of a scenario JSON value, one `field.path: problem` line each ([] when it loads).
import { parseScenario, ScenarioError } from '../../src/scenario/load.js';

export function problems(value: unknown, source = 'x.json'): string[] {
  try {
    parseScenario(value, source);
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  return [];
}
