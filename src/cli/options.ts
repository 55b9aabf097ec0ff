// Parsing of option values shared by commands, with errors that name the option.

import { formatDurationShort, parseDuration } from '../scenario/duration.js';
import { DURATION_NS_MAX } from '../scenario/limits.js';
import { UsageError } from './errors.js';

export function parseSeedOption(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 2 ** 32 - 1) {
    throw new UsageError(`--seed: expected an integer from 0 to 4294967295, got "${text}"`);
  }
  return Number(text);
}

/** `--duration`: a run length, within the same bounds as the scenario's `durationNs`. */
export function parseDurationOption(text: string): number {
  const range = `must be > 0 and at most ${formatDurationShort(DURATION_NS_MAX)}`;
  const tooLong = /^\s*\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h)\s*$/.test(text); // a duration beyond 2^53 ns
  const ns = parseDuration(text, { signed: true }) ?? (tooLong ? Infinity : null);
  if (ns === null) throw new UsageError(`--duration: expected a duration such as 30s or 500ms, got "${text}"`);
  if (ns <= 0 || ns > DURATION_NS_MAX) throw new UsageError(`--duration: ${range}, got "${text}"`);
  return ns;
}

export const FORMATS = ['table', 'csv', 'json', 'jsonl'] as const;
export type OutputFormat = (typeof FORMATS)[number];

export function parseFormatOption(text: string): OutputFormat {
  if (!(FORMATS as readonly string[]).includes(text)) {
    throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got "${text}"`);
  }
  return text as OutputFormat;
}

/** --limit: table rows shown, 0 for all. */
export function parseLimitOption(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--limit: expected a row count (0 shows every row), got "${text}"`);
  }
  return Number(text);
}

/** --timeout: a duration such as 30s or 500ms, returned in ms. */
export function parseTimeoutOption(text: string): number {
  const ns = parseDuration(text);
  if (ns === null || ns <= 0) throw new UsageError(`--timeout: expected a duration such as 30s or 500ms, got "${text}"`);
  return Math.max(1, Math.round(ns / 1e6));
}

/** commander's argument parser for a repeatable option: every value given, in order. */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
