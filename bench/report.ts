// The HTML report on a long trace (issue 12 §4: a 600 s trace's report stays under ~10 MB and
// opens in under 2 s): the `report` command's time, the file's size, and the time headless
// Chromium takes from navigation to every chart drawn, repeated.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/util/package-root.js';
import { chromiumPath, visit } from './chromium.js';
import { minMedian, type MinMedian } from './stats.js';

const CLI = join(packageRoot(), 'dist', 'cli', 'main.js');
const ROUNDS = 3;

export interface ReportBench {
  seconds: number;
  events: number;
  build: MinMedian;
  sizeMB: number;
  /** null when Chromium is not installed. */
  openMs: MinMedian | null;
  chartsDrawn: number;
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: tracevisor ${args.join(' ')} failed: ${r.stderr.slice(0, 400)}`);
  return r.stdout;
}

export async function benchReport(): Promise<ReportBench> {
  const seconds = Number(process.env.TRACEVISOR_BENCH_REPORT_SECONDS ?? 600);
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-report-'));
  try {
    const trace = join(dir, 'trace');
    const recorded = cli(['record', '-o', trace, '--duration', `${seconds}s`, '--snapshot-every', '0', '--index']);
    const events = Number(/events\s+(\d+) rows/.exec(recorded)![1]);
    const html = join(dir, 'report.html');
    const builds: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = process.hrtime.bigint();
      cli(['report', trace, '-o', html, '--force']);
      builds.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    const browser = chromiumPath();
    let openMs: MinMedian | null = null;
    let chartsDrawn = 0;
    if (browser !== null) {
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const page = await visit(browser, pathToFileURL(html).href, "document.body.getAttribute('data-charts-drawn')");
        if (page.errors.length > 0) throw new Error(`bench: the report page logged errors: ${page.errors.join('; ')}`);
        chartsDrawn = String(page.value).split(' ').length;
        times.push(page.loadMs);
      }
      openMs = minMedian(times);
    }
    return { seconds, events, build: minMedian(builds), sizeMB: statSync(html).size / 1e6, openMs, chartsDrawn };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatReportBench(b: ReportBench): string {
  const open = b.openMs === null
    ? '  open in Chromium          not measured (chromium not installed)'
    : `  open in Chromium          ${(b.openMs.min / 1e3).toFixed(2)} / ${(b.openMs.median / 1e3).toFixed(2)} s to ${b.chartsDrawn} charts drawn (min / median; target < 2 s)`;
  return [
    `HTML report: ${b.seconds} s default trace, ${b.events} events, ${ROUNDS} runs`,
    `  report command            ${b.build.min.toFixed(2)} / ${b.build.median.toFixed(2)} s (min / median; store built before)`,
    `  file size                 ${b.sizeMB.toFixed(2)} MB (target < 10 MB)`,
    open,
  ].join('\n');
}
