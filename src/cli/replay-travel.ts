// The time-travel flags of `tracevisor replay` (issue 9 §4): --until / --break pick the moment,
// --state and --memory say what to print there. replay.ts registers them with
// addTravelOptions and hands over to runTravel when isTravelRequested says a flag was given.

import type { Command } from 'commander';
import { formatDuration } from '../scenario/duration.js';
import { dumpMemory, formatHexDump, parseMemorySpec, type MemorySpec } from '../replay/memory-dump.js';
import { collectState } from '../replay/state.js';
import { formatJson, formatStateText } from '../replay/state-format.js';
import { parseUntil, travel, type TravelRequest, type TravelStop } from '../replay/travel.js';
import { TravelError } from '../replay/travel-error.js';
import { UsageError } from './errors.js';
import { collect } from './options.js';

export interface TravelFlags {
  until?: string;
  break?: string;
  state?: boolean;
  format?: string;
  memory?: string[];
}


export function addTravelOptions(command: Command): Command {
  return command
    .option('--until <time>', 'time travel: stop at this virtual time (e.g. 2.5s, 1500ms, or ns), ' +
      'after every event at or before it')
    .option('--break <predicate>', 'time travel: stop right after the first event matching this SQL ' +
      'condition over events columns (e.g. "kind = \'fault\'")')
    .option('--state', 'time travel: print the platform state where it stopped')
    .option('--format <format>', 'time travel output: table (default) or json (one object)')
    .option('--memory <vm:gpa:len>', 'time travel: dump guest memory there (hex + ASCII; ' +
      'len <= 64 KiB; repeatable)', collect);
}

/** True when any time-travel flag was given (the verifying replay hands over then). */
export function isTravelRequested(flags: TravelFlags): boolean {
  return flags.until !== undefined || flags.break !== undefined || flags.state === true ||
    flags.format !== undefined || (flags.memory?.length ?? 0) > 0;
}

export async function runTravel(traceDir: string, flags: TravelFlags): Promise<void> {
  try {
    process.stdout.write(await travelOutput(traceDir, flags));
  } catch (error) {
    if (error instanceof TravelError) throw new UsageError(error.message);
    throw error;
  }
}

/** The flags checked before the (possibly long) re-execution. */
function travelRequest(flags: TravelFlags): { request: TravelRequest; specs: MemorySpec[]; format: string } {
  const format = flags.format ?? 'table';
  if (format !== 'table' && format !== 'json') {
    throw new TravelError(`--format: expected table or json, got "${format}"`);
  }
  if (flags.until !== undefined && flags.break !== undefined) {
    throw new TravelError('give --until <time> or --break <predicate>, not both');
  }
  const request: TravelRequest = {};
  if (flags.until !== undefined) request.untilNs = parseUntil(flags.until);
  if (flags.break !== undefined) request.breakPredicate = flags.break;
  return { request, specs: (flags.memory ?? []).map(parseMemorySpec), format };
}

/** Everything runTravel prints, as one string (tests call this directly). */
export async function travelOutput(traceDir: string, flags: TravelFlags): Promise<string> {
  const { request, specs, format } = travelRequest(flags);
  const { platform, stop, warnings, from } = await travel(traceDir, request);
  for (const warning of warnings) process.stderr.write(`tracevisor: warning: ${warning}\n`);
  if (from !== null) process.stderr.write(`tracevisor: started from snapshot ${from.id} at ${formatDuration(from.timeNs)}\n`);
  const state = flags.state === true ? collectState(platform) : null;
  const dumps = specs.map((spec) => dumpMemory(platform, spec));
  if (format === 'json') {
    const memory = dumps.map((d) => ({ vm: d.vm, gpa: d.gpa, len: d.bytes.length, hex: Buffer.from(d.bytes).toString('hex') }));
    // one object: the state's fields at the top (README), where it stopped, the dumps
    return formatJson({ ...(state ?? {}), stop, ...(dumps.length > 0 ? { memory } : {}) });
  }
  const parts = [describeStop(stop, flags.break)];
  if (state !== null) parts.push(`\n${formatStateText(state)}`);
  for (const dump of dumps) parts.push(`\n${formatHexDump(dump)}`);
  return parts.join('');
}

export function describeStop(stop: TravelStop, predicate: string | undefined): string {
  const at = `${stop.timeNs} ns (${formatDuration(stop.timeNs)})`;
  if (stop.event === null) {
    return `stopped at ${at}: every event at or before it has run; the next event row gets seq ${stop.seqNext}\n`;
  }
  const e = stop.event;
  const row =
    `ts_ns=${e.ts_ns} seq=${e.seq} vm=${e.vm} vcpu=${e.vcpu} kind=${e.kind} dev=${e.dev} ` +
    `queue=${e.queue} id=${e.id} len=${e.len} val=${e.val}`;
  // An engine event stops at its own time; the core's events run as one batch until the next
  // engine event is due or an interrupt is taken (delivered before the stop check), so
  // a row they wrote stops there (src/engine/engine.ts runUntil).
  const where = stop.duringBuild
    ? `seq ${e.seq} was written while the platform was built (ring and memory set-up), before any ` +
      'event ran: nothing has run yet'
    : stop.timeNs === e.ts_ns
    ? `right after the step that emitted seq ${e.seq} (an engine event's action or a batch of ` +
      'interrupts; what it did after the row has happened too)'
    : `seq ${e.seq} came from the core's own events, which run as one batch until the next engine ` +
      `event is due or an interrupt is taken (at ${stop.timeNs} ns: an interrupt taken then has been ` +
      'delivered, an engine event due then has not run): the core events after it up to then have happened too';
  return (
    `break: first event matching ${predicate}: seq ${e.seq} at ${e.ts_ns} ns (${formatDuration(e.ts_ns)})\n` +
    `  ${row}\n` +
    `stopped at ${at}: ${where}; next seq ${stop.seqNext}\n`
  );
}
