// Durations in scenarios and on the command line: an integer number of nanoseconds, or a string
// with a unit ("30s", "250ms", "16.5ms", "1m", "800us", "20ns"). Decimal strings are parsed in
// integer arithmetic so "0.1s" is exactly 100000000 ns (no float rounding on any host).

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const PATTERN = /^(\d+)(?:\.(\d+))?\s*(ns|us|µs|ms|s|m|h)$/;

/** Returns integer nanoseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = PATTERN.exec(text.trim());
  if (!match) return null;
  const [, whole, fraction = '', unit] = match;
  const scale = UNIT_NS[unit!]!;
  const digits = BigInt(whole! + fraction);
  const divisor = 10n ** BigInt(fraction.length);
  if ((digits * scale) % divisor !== 0n) return null; // finer than a nanosecond
  const ns = (digits * scale) / divisor;
  if (ns > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(ns);
}

/** Human rendering for summaries: the largest unit that keeps three significant digits. */
export function formatDuration(ns: number): string {
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (abs >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (abs >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns} ns`;
}
