import type { Command } from 'commander';
import { DEFAULT_SCENARIO, listBuiltinScenarios } from '../scenario/load.js';

export function registerScenarios(program: Command): void {
  program
    .command('scenarios')
    .description('list the built-in scenarios')
    .action(() => {
      for (const { name, description } of listBuiltinScenarios()) {
        const mark = name === DEFAULT_SCENARIO ? ' (default)' : '';
        process.stdout.write(`${name}${mark}\n  ${description}\n`);
      }
    });
}
