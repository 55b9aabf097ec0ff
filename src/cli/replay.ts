// `tracevisor replay <trace>`: in this branch only the time-travel flags (replay-travel.ts); the
// verifying replay merges in here and hands over to runTravel when a travel flag is given.

import type { Command } from 'commander';
import { addTravelOptions, runTravel, type TravelFlags } from './replay-travel.js';

export function registerReplay(program: Command): void {
  const replay = program
    .command('replay')
    .description('re-execute a trace; time travel: --until/--break, then --state, --memory')
    .argument('<trace>', 'trace directory');
  addTravelOptions(replay).action(async (trace: string, flags: TravelFlags) => {
    await runTravel(trace, flags);
  });
}
