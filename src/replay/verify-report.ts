// What `tracevisor replay` prints: one line when the replay matched, else the first divergent
// row (divergence.ts's printer), where the state first differed, and how far the replay went.

import { formatDuration } from '../scenario/duration.js';
import { TABLE_NAMES } from '../trace/tables.js';
import { formatDivergence } from './divergence.js';
import type { ReplayOutcome } from './verify-run.js';

export const REPLAY_LABELS = ['recorded', 'replayed'] as const;

export function replayReport(outcome: ReplayOutcome): string {
  const { verifier } = outcome;
  const tables = TABLE_NAMES.map((t) => `${t} ${verifier.matched[t].rows} rows`).join(', ');
  const batches = TABLE_NAMES.reduce((n, t) => n + verifier.matched[t].batches, 0);
  const how = outcome.rowByRow
    ? 'compared row by row (the trace has no digests)'
    : `${verifier.epochsMatched} epochs of state, every batch and state digest matched`;
  const where = reach(outcome);
  if (verifier.identical) return `replay identical${where}: ${tables} (${batches} batches); ${how}\n`;
  const lines = [`replay diverged from ${outcome.dir}${where}`];
  if (verifier.divergence !== null) lines.push(...formatDivergence(verifier.divergence, REPLAY_LABELS));
  else lines.push(`every batch matched (${tables}), but the state did not:`);
  lines.push(stateLine(outcome));
  if (verifier.divergentBatches > 1) lines.push(`${verifier.divergentBatches} batches differ in all (--keep-going)`);
  return lines.join('\n') + '\n';
}

function reach(outcome: ReplayOutcome): string {
  return resumed(outcome) + ended(outcome);
}

/** --- replay --from (issue 10 §3): where the verification started. */
function resumed(outcome: ReplayOutcome): string {
  const from = outcome.resumedFrom;
  if (from !== undefined && from !== null) {
    const t = formatDuration(from.timeNs);
    return ` from snapshot ${from.id} (verified from ${t}; the recording before ${t} was not looked at)`;
  }
  return outcome.fromNote !== undefined && outcome.fromNote !== null ? ' (verified from the start: --from found no usable snapshot)' : '';
}

function ended(outcome: ReplayOutcome): string {
  const at = formatDuration(outcome.atNs);
  // A killed recording: each table is compared up to its last complete batch, and the run ends
  // there (or at the end, when a table's last batch would only come out at the end of the run).
  const incomplete = outcome.incomplete ? ' up to the recording\'s last complete batch of each table (the trace is incomplete' : '';
  if (incomplete !== '') return `${incomplete}; replayed to ${at})`;
  switch (outcome.ended) {
    case 'recording_end':
      return ` up to the recording's last complete batch (replayed to ${at})`;
    case 'stop':
      return ` up to ${at} (stopped there)`;
    case 'divergence':
      return ` (stopped at ${at}, right after the divergence; --keep-going runs on)`;
    case 'end':
      return '';
  }
}

function stateLine(outcome: ReplayOutcome): string {
  const { verifier } = outcome;
  const s = verifier.stateDivergence;
  if (outcome.rowByRow) return 'state digests: none in this trace (recorded before digests)';
  if (s === null) return `state digests: all ${verifier.epochsCompared} epochs compared matched (the state never differed)`;
  return `first state digest that differed: epoch ${s.epoch} (at ${formatDuration(s.atNs)}), ${s.component}` +
    ` (${s.matchedBefore} epochs matched before it)`;
}
