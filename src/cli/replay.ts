// `tracevisor replay <trace>`: options and dispatch; the work is in src/replay/.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { RunsDiffer, UsageError } from './errors.js';

interface ReplayFlags {
  output?: string;
  force?: boolean;
  keepGoing?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay a trace from its manifest and check it against the recording, batch by batch and epoch by epoch')
    .argument('<trace>', 'trace directory')
    .option('-o, --output <dir>', 'write the replayed trace into this directory too (an empty one, or one holding a trace it replaces)')
    .option('--force', 'replay a trace recorded by another tracevisor or core version')
    .option('--keep-going', 'run to the end after the first divergence')
    .addHelpText('after', '\nExit status: 0 the replay is identical, 3 it diverged (the first divergent row is printed), 2 bad input or refused.')
    .action(async (dir: string, flags: ReplayFlags) => {
      if (flags.output !== undefined && resolve(flags.output) === resolve(dir)) {
        throw new UsageError(`-o ${flags.output}: that is the trace being replayed; write the replay to another directory`);
      }
      const { replayTrace } = await import('../replay/verify-run.js');
      const { replayReport } = await import('../replay/verify-report.js');
      const outcome = await replayTrace(dir, {
        ...(flags.output !== undefined ? { output: flags.output } : {}),
        force: flags.force === true,
        keepGoing: flags.keepGoing === true,
      });
      process.stdout.write(replayReport(outcome));
      if (!outcome.verifier.identical) throw new RunsDiffer('replay diverged');
    });
}
