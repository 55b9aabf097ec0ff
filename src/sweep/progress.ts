// The sweep's progress line on stderr: seeds done of total, failing so far, seeds per second of
// wall time. Rewritten in place (`\r`) on a terminal; on a pipe or a CI log, plain lines, at
// most one per second and a last one when the sweep ends; nothing with --quiet.

import type { SweepProgress } from './sweep.js';

export type ProgressMode = 'tty' | 'lines' | 'quiet';

interface Output {
  write(text: string): unknown;
}

const TTY_REFRESH_MS = 100;
const LINE_INTERVAL_MS = 1000;

export class ProgressLine {
  private lastMs = -Infinity;
  private shown = false;

  constructor(
    private readonly out: Output,
    private readonly mode: ProgressMode,
  ) {}

  update(progress: SweepProgress): void {
    if (this.mode === 'quiet') return;
    const last = progress.done === progress.total;
    const interval = this.mode === 'tty' ? TTY_REFRESH_MS : LINE_INTERVAL_MS;
    if (!last && progress.elapsedMs - this.lastMs < interval) return;
    this.lastMs = progress.elapsedMs;
    const text = progressText(progress);
    // \x1b[K clears what a longer previous line left at the end
    this.out.write(this.mode === 'tty' ? `\r${text}\x1b[K` : `${text}\n`);
    this.shown = true;
  }

  /** Ends the line on a terminal, so what follows starts on its own. */
  end(): void {
    if (this.mode === 'tty' && this.shown) this.out.write('\n');
  }
}

export function progressText(p: SweepProgress): string {
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const errors = p.errors > 0 ? `, ${p.errors} error${p.errors === 1 ? '' : 's'}` : '';
  return `sweep: ${p.done}/${p.total} seeds, ${p.failing} failing${errors}, ${rate.toFixed(1)} seeds/s`;
}
