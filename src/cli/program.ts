// tracevisor's command line: one file per command, errors mapped to exit codes in errors.ts.

import { Command, CommanderError } from 'commander';
import { packageRoot } from '../util/package-root.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_BAD_INPUT, reportError } from './errors.js';
import { registerScenarios } from './scenarios.js';
import { registerRecord } from './record.js';
import { registerInfo } from './info.js';
import { registerQuery } from './query.js';
import { registerDemo } from './demo.js';
import { registerImport } from './import.js';
import { registerExport } from './export.js';

export function buildProgram(): Command {
  const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const program = new Command('tracevisor')
    .description('Deterministic record, replay and SQL analysis of automotive virtual platforms')
    .version(version)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerScenarios(program);
  registerRecord(program);
  registerInfo(program);
  registerQuery(program);
  registerDemo(program);
  registerImport(program);
  registerExport(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help / version text).
      return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    return reportError(err);
  }
}

