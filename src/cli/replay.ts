// `tracevisor replay <trace>`: options and dispatch; the work is in src/replay/. Without a
// time-travel flag it replays the whole run and verifies it (verify-run.ts); with --until,
// --break, --state, --format or --memory it stops at a moment and shows it (replay-travel.ts).
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { parseDuration } from '../scenario/duration.js';
import { RunsDiffer, UsageError } from './errors.js';
import { addTravelOptions, isTravelRequested, runTravel, type TravelFlags } from './replay-travel.js';

interface ReplayFlags extends TravelFlags {
  output?: string;
  from?: string;
  force?: boolean;
  keepGoing?: boolean;
}

export function registerReplay(program: Command): void {
  const replay = program
    .command('replay')
    .description('replay a trace from its manifest and check it against the recording, batch by batch and epoch by epoch; or stop at a moment (--until/--break) and show the state there')
    .argument('<trace>', 'trace directory')
    .option('-o, --output <dir>', 'write the replayed trace into this directory too (an empty one, or one holding a trace it replaces)')
    .option('--force', 'replay a trace recorded by another tracevisor or core version')
    .option('--keep-going', 'run to the end after the first divergence')
    .option('--from <time>', 'restore the latest snapshot at or before this virtual time (2.5s, 1500ms, ns) and verify from there on; the recording before it is not looked at');
  addTravelOptions(replay)
    .addHelpText('after', '\nExit status: 0 the replay is identical, 3 it diverged (the first divergent row is printed), 2 bad input or refused.')
    .action(async (dir: string, flags: ReplayFlags) => {
      if (flags.from !== undefined) {
        await runFrom(dir, flags);
        return;
      }
      if (isTravelRequested(flags)) {
        if (flags.output !== undefined || flags.keepGoing === true) {
          throw new UsageError('-o and --keep-going replay the whole run; they do not go with --until/--break/--state/--memory');
        }
        await runTravel(dir, flags);
        return;
      }
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

/** --- replay --from (issue 10 §3): verify from the latest snapshot at or before a time. */
async function runFrom(dir: string, flags: ReplayFlags): Promise<void> {
  if (isTravelRequested(flags) || flags.output !== undefined) {
    throw new UsageError('--from verifies the run from a snapshot on; it does not go with -o, --until, --break, --state or --memory');
  }
  const fromNs = parseFrom(flags.from!);
  const { replayFrom } = await import('../replay/verify-resume.js');
  const { replayReport } = await import('../replay/verify-report.js');
  const outcome = await replayFrom(dir, fromNs, { force: flags.force === true, keepGoing: flags.keepGoing === true });
  if (outcome.fromNote) process.stderr.write(`tracevisor: warning: --from ${flags.from}: ${outcome.fromNote}\n`);
  process.stdout.write(replayReport(outcome));
  if (!outcome.verifier.identical) throw new RunsDiffer('replay diverged');
}

function parseFrom(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed))) return Number(trimmed);
  const ns = parseDuration(trimmed);
  if (ns === null) throw new UsageError(`--from "${text}": expected a virtual time such as 2.5s, 1500ms or 2500000000 (ns)`);
  return ns;
}
