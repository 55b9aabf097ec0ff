// Progress for long commands (issue 12 §6): record, import, export and report show a bar with
// the rate and the time left on a terminal (cli-progress: redraws in place, throttles its own
// redraws, and computes the ETA from a moving window), and nothing when stdout is not a
// terminal (a pipe, a file, CI) or with --quiet. The bar is drawn on stderr, so even a terminal
// user who redirects stderr keeps stdout clean; it is cleared when the work ends, so the
// command's summary lines are what stays on screen. Only the display reads the wall clock: what
// a command records never depends on it (ARCHITECTURE principle 1).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as CliProgress from 'cli-progress';

/** Loaded only when a bar shows: a short `import` into a pipe must not pay for it. */
function cliProgress(): typeof CliProgress {
  return createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
}

export interface Progress {
  /** Work done so far, in the unit the bar was made with. */
  update(done: number): void;
  /** Clears the bar (idempotent). */
  stop(): void;
}

const SILENT: Progress = { update: () => {}, stop: () => {} };

export interface ProgressOptions {
  /** What the command is doing, e.g. "recording". */
  label: string;
  /** The amount of work in all. */
  total: number;
  /** How a value prints: virtual seconds, bytes, rows … */
  unit: 'virtual s' | 'MB' | 'rows' | 'steps';
  quiet?: boolean;
}

/** Whether a bar would show: both standard streams on a terminal, not --quiet. */
export function progressWanted(quiet: boolean | undefined): boolean {
  return quiet !== true && process.stdout.isTTY === true && process.stderr.isTTY === true;
}

export function startProgress(options: ProgressOptions): Progress {
  if (!progressWanted(options.quiet) || !(options.total > 0)) return SILENT;
  const scale = SCALE[options.unit];
  const integral = options.unit === 'rows' || options.unit === 'steps';
  const progress = cliProgress();
  const bar = new progress.SingleBar(
    {
      stream: process.stderr,
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} ${options.unit} | {rate} ${options.unit}/s | ETA {eta_formatted}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 10,
      formatValue: (v: number, _o: unknown, type: string) => (type === 'value' || type === 'total' ? format(v / scale, integral) : String(v)),
    },
    progress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(options.total, 0, { rate: '–' });
  let stopped = false;
  return {
    update(done: number): void {
      if (stopped) return;
      const seconds = (performance.now() - started) / 1000;
      bar.update(Math.min(done, options.total), { rate: seconds > 0 ? format(done / scale / seconds, integral) : '–' });
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/**
 * A table's rows as the manifest states them, for a bar's total only (0, hence no bar, when the
 * manifest cannot be read: the command's own checks report that, not the bar).
 */
export function manifestRows(dir: string, table: string): number {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { tables?: Record<string, { rows?: unknown }> };
    const rows = manifest.tables?.[table]?.rows;
    return typeof rows === 'number' && Number.isSafeInteger(rows) && rows > 0 ? rows : 0;
  } catch {
    return 0;
  }
}

/** Values are given in ns (virtual time), bytes, rows or steps. */
const SCALE = { 'virtual s': 1e9, MB: 1e6, rows: 1, steps: 1 } as const;

function format(v: number, integral: boolean): string {
  if (integral || v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
