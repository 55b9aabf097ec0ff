// tracevisor's command line: one file per command, errors mapped to exit codes in errors.ts.

import { Command, CommanderError } from 'commander';
import { packageInfo } from '../util/package-root.js';
import { EXIT_BAD_INPUT, reportError } from './errors.js';
import type { Command as CommandType } from 'commander';

type Register = (program: CommandType) => void;

// Each command's module is loaded only when that command runs (or for help listing all of
// them): DuckDB, apache-arrow and zod take ~0.4 s to load together, which would dominate short
// commands such as importing a small DLT file.
const COMMANDS: Record<string, () => Promise<Register>> = {
  scenarios: async () => (await import('./scenarios.js')).registerScenarios,
  record: async () => (await import('./record.js')).registerRecord,
  info: async () => (await import('./info.js')).registerInfo,
  query: async () => (await import('./query.js')).registerQuery,
  queries: async () => (await import('./query.js')).registerQuery,
  shell: async () => (await import('./shell.js')).registerShell,
  demo: async () => (await import('./demo.js')).registerDemo,
  import: async () => (await import('./import.js')).registerImport,
  export: async () => (await import('./export.js')).registerExport,
  index: async () => (await import('./index-store.js')).registerIndex,
  replay: async () => (await import('./replay.js')).registerReplay,
  diff: async () => (await import('./diff.js')).registerDiff,
  sweep: async () => (await import('./sweep.js')).registerSweep, // seed sweeps (issue 9 §6)
  report: async () => (await import('./report.js')).registerReport, // HTML report (issue 12 §4)
};

export async function buildProgram(argv: string[] = []): Promise<Command> {
  const { version } = packageInfo();
  const program = new Command('tracevisor')
    .description('Deterministic record, replay and SQL analysis of automotive virtual platforms')
    .version(version)
    .exitOverride();
  const first = argv.find((arg) => !arg.startsWith('-'));
  const versionOnly = first === undefined && (argv.includes('--version') || argv.includes('-V'));
  const wanted = versionOnly ? [] : first !== undefined && first in COMMANDS ? [COMMANDS[first]!] : Object.values(COMMANDS);
  const registered = new Set<Register>();
  for (const load of wanted) {
    const register = await load();
    if (registered.has(register)) continue; // query.ts registers both query and queries
    registered.add(register);
    register(program);
  }
  useOurErrorStyle(program, 'tracevisor');
  return program;
}

/**
 * commander prints its own parse errors ("error: unknown command 'x'" and a help hint on the
 * next line); ours are one line prefixed `tracevisor:` (errors.ts). Every command, subcommands
 * included, gets a writer that knows its name, so the hint names the right --help.
 */
function useOurErrorStyle(command: CommandType, path: string): void {
  command.configureOutput({
    outputError: (text, write) => write(commanderErrorLine(text, path)),
  });
  for (const sub of command.commands) useOurErrorStyle(sub, `${path} ${sub.name()}`);
}

/** "error: unknown option '--x'\n(Did you mean --y?)\n" → one `tracevisor: …` line with a hint. */
export function commanderErrorLine(text: string, path: string): string {
  const message = text.trim().replace(/^error: /, '').split(/\s*\n\s*/).join(' ').replace(/\.$/, '');
  return `tracevisor: ${message}; run "${path} --help" for usage\n`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
    // A command that ran but reports its verdict in the status (sweep: 4 = a seed failed)
    // sets process.exitCode; main.ts would overwrite it with this return value.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed its message (through commanderErrorLine) or the help / version
      if (err.exitCode === 0) return 0;
      if (err.code === 'commander.help') {
        // a command that needs a subcommand was given none (or help an unknown one): the
        // usage went to stderr
        process.stderr.write('tracevisor: name a command (the usage above lists them)\n');
      }
      return EXIT_BAD_INPUT;
    }
    return reportError(err);
  }
}

