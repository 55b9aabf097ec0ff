// `tracevisor scenarios`: the built-in scenarios (a list, or --json), one of them as a template
// to copy (--show), and the scenario file format as a JSON Schema for editors (--schema).

import type { Command } from 'commander';
import { builtinScenarioText, DEFAULT_SCENARIO, listBuiltinScenarios } from '../scenario/load.js';
import { scenarioJsonSchema } from '../scenario/json-schema.js';
import { UsageError } from './errors.js';

interface ScenariosFlags {
  schema?: boolean;
  show?: string;
  json?: boolean;
}

export function registerScenarios(program: Command): void {
  program
    .command('scenarios')
    .description('list the built-in scenarios; print one as a template (--show) or the file format (--schema)')
    .option('--schema', 'print the scenario file format as a JSON Schema (save it and name it in "$schema")')
    .option('--show <name>', 'print a built-in scenario file, to copy and edit')
    .option('--json', 'list the built-in scenarios as JSON')
    .action((flags: ScenariosFlags) => {
      process.stdout.write(runScenarios(flags));
    });
}

export function runScenarios(flags: ScenariosFlags): string {
  const chosen = [flags.schema === true, flags.show !== undefined, flags.json === true].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('scenarios: give one of --schema, --show <name>, --json');
  if (flags.schema === true) return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
  if (flags.show !== undefined) return builtinScenarioText(flags.show);
  const list = listBuiltinScenarios().map((s) => ({ ...s, default: s.name === DEFAULT_SCENARIO }));
  if (flags.json === true) return `${JSON.stringify(list, null, 2)}\n`;
  return list.map((s) => `${s.name}${s.default ? ' (default)' : ''}\n  ${s.description}\n`).join('');
}
