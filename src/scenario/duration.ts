// Durations in scenarios and on the command line: an integer number of nanoseconds, or a string
// with a unit ("30s", "250ms", "16.5ms", "1m", "800us", "20ns"), signed ("-5ms", "+2s") where a
// field may be negative (clock offsets and steps). Decimal strings are parsed in integer
// arithmetic so "0.1s" is exactly 100000000 ns (no float rounding on any host).

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const PATTERN = /^([+-]?)(\d+)(?:\.(\d+))?\s*(ns|us|µs|ms|s|m|h)$/;

/** What a duration string looks like, for the JSON Schema (`signed`: a leading + or - allowed). */
export function durationPattern(signed: boolean): string {
  return `^\\s*${signed ? '[+-]?' : '\\+?'}\\d+(\\.\\d+)?\\s*(ns|us|µs|ms|s|m|h)\\s*$`;
}

/**
 * Returns integer nanoseconds, or null when the text is not a duration (or is finer than 1 ns,
 * or beyond 2^53 ns). A leading "-" is accepted only with `signed`.
 */
export function parseDuration(text: string, options: { signed?: boolean } = {}): number | null {
  const match = PATTERN.exec(text.trim());
  if (!match) return null;
  const [, sign, whole, fraction = '', unit] = match;
  if (sign === '-' && options.signed !== true) return null;
  const scale = UNIT_NS[unit!]!;
  const digits = BigInt(whole! + fraction);
  const divisor = 10n ** BigInt(fraction.length);
  if ((digits * scale) % divisor !== 0n) return null; // finer than a nanosecond
  const ns = (digits * scale) / divisor;
  if (ns > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return sign === '-' && ns !== 0n ? -Number(ns) : Number(ns);
}

/** Human rendering for summaries: the largest unit that keeps three significant digits. */
export function formatDuration(ns: number): string {
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (abs >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (abs >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns} ns`;
}

/** Exact rendering for limits in messages and docs: the largest unit that divides it ("100us"). */
export function formatDurationShort(ns: number): string {
  if (ns === 0) return '0';
  const units: [string, number][] = [['h', 3_600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6], ['us', 1e3]];
  for (const [unit, scale] of units) if (ns % scale === 0) return `${ns / scale}${unit}`;
  return `${ns}ns`;
}
