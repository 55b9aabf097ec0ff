// `tracevisor report` (issue 12 §4) as a user meets it: the compiled CLI writes the HTML file,
// a real browser (headless Chromium over the DevTools protocol, chromium.ts) opens it from disk,
// and the page must load with no console error and no network request, draw every chart that
// has data, and show the same numbers as the named queries it is built from. A screenshot goes
// to test/artifacts/ (not committed). Without Chromium the browser tests are skipped, saying
// so; under CI=true they fail (.ci/run installs it).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/trace/index.js';
import { packageRoot } from '../../src/util/package-root.js';
import { requireCli, tv } from '../executable.js';
import { META, dltRow, eventColumns, tempDir } from '../trace/helpers.js';
import { chromiumPath, visit } from '../../bench/chromium.js';

const browser = chromiumPath();
const ARTIFACTS = join(packageRoot(), 'test', 'artifacts');

function needBrowser(ctx: { skip: (condition: boolean, note?: string) => void }): string {
  if (browser !== null) return browser;
  if (process.env.CI === 'true') throw new Error('chromium is not installed; CI must install it (.ci/run)');
  ctx.skip(true, 'chromium is not installed (Debian package chromium)');
  return '';
}

/** What the page shows, read from its DOM once its script has run. */
const PAGE_STATE = `(() => {
  const canvases = [...document.querySelectorAll('.chart canvas')];
  const inked = canvases.map((c) => {
    const ctx = c.getContext('2d');
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    // pixels in a colour: series are drawn in the palette, axes, grid and text in greys
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 0) continue;
      const hi = Math.max(data[i], data[i + 1], data[i + 2]);
      const lo = Math.min(data[i], data[i + 1], data[i + 2]);
      if (hi - lo > 60) n++;
    }
    return n;
  });
  const rows = (selector) => [...document.querySelectorAll(selector + ' tr')].slice(1).map((tr) => [...tr.children].map((td) => td.textContent));
  return {
    drawn: (document.body.getAttribute('data-charts-drawn') || '').split(' ').filter(Boolean),
    charts: [...document.querySelectorAll('.chart')].map((d) => d.getAttribute('data-chart')),
    inked,
    verdicts: rows('table.verdicts'),
    incidents: rows('table.incidents'),
    empty: [...document.querySelectorAll('p.empty')].map((p) => p.closest('section').id),
    title: document.title,
  };
})()`;

interface PageState {
  drawn: string[];
  charts: string[];
  inked: number[];
  verdicts: string[][];
  incidents: string[][];
  empty: string[];
  title: string;
}

function queryJson(trace: string, sql: string): Record<string, unknown>[] {
  const r = tv('query', trace, sql, '--format', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

let root: string;
let cockpit: string;
let hostile: string;

beforeAll(() => {
  requireCli();
  root = tempDir('tv-report-');
  cockpit = join(root, 'cockpit');
  hostile = join(root, 'hostile');
  for (const [dir, args] of [[cockpit, ['cockpit', '--duration', '500ms']], [hostile, ['hostile', '--duration', '300ms']]] as const) {
    const r = tv('record', ...args, '-o', dir, '--snapshot-every', '0');
    expect(r.code, r.stderr).toBe(0);
  }
});

function report(trace: string, name: string, ...extra: string[]): string {
  const out = join(root, name);
  const r = tv('report', trace, '-o', out, ...extra);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^wrote the report \\(\\d+\\.\\d\\d MB\\) -> ${out.replaceAll('/', '\\/')}\\n$`));
  return out;
}

describe('tracevisor report in a browser', () => {
  it('loads the cockpit report offline with no console error and draws every chart', async (ctx) => {
    const chromium = needBrowser(ctx);
    const file = report(cockpit, 'cockpit.html');
    const page = await visit(chromium, pathToFileURL(file).href, PAGE_STATE, { fullPage: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'report-cockpit.png'), page.screenshot);
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    const state = page.value as PageState;
    expect(state.title).toBe('tracevisor report: cockpit, seed 1');
    // the cockpit has two physical CPUs, and every other chart has data in 500 ms (sync too: it
    // runs gPTP, and both clients have stepped and locked by 375 ms)
    const expected = ['occupancy-pcpu0', 'occupancy-pcpu1', 'steal', 'clock', 'sync', 'latency', 'throttle', 'links', 'dlt'];
    expect(state.drawn).toEqual(expected);
    expect(state.charts).toEqual(expected);
    // each canvas has drawn its data: coloured pixels (an empty chart has only grey axes and grid)
    expect(state.inked).toHaveLength(expected.length);
    for (const [i, n] of state.inked.entries()) expect(n, expected[i]).toBeGreaterThan(100);
    expect(state.empty).toEqual(['incidents']); // a healthy cockpit: nothing refused, nothing missed in 500 ms
  }, 120_000);

  it('shows the verdicts the named queries give, per VM', async (ctx) => {
    const chromium = needBrowser(ctx);
    const file = report(cockpit, 'verdicts.html', '--force');
    const state = (await visit(chromium, pathToFileURL(file).href, PAGE_STATE)).value as PageState;
    // computed another way: straight from the trace's tables
    const vms = queryJson(cockpit, 'SELECT name FROM vms ORDER BY vm').map((r) => r.name);
    const logs = queryJson(cockpit, 'SELECT vm, count(*)::INTEGER AS n FROM dlt GROUP BY vm ORDER BY vm');
    expect(state.verdicts.map((r) => r[0])).toEqual(vms);
    for (const { vm, n } of logs) expect(state.verdicts[vm as number]![7]).toBe(String(n));
  }, 120_000);

  it('lists the hostile guest\'s refused faults with their names, as vm/incidents does', async (ctx) => {
    const chromium = needBrowser(ctx);
    const file = report(hostile, 'hostile.html');
    const state = (await visit(chromium, pathToFileURL(file).href, PAGE_STATE)).value as PageState;
    const faults = queryJson(hostile, "SELECT fault_name(id) AS what FROM events WHERE kind IN ('fault', 'deadline_miss', 'fault_injected', 'switch_drop', 'rx_drop') ORDER BY ts_ns, seq");
    expect(faults.length).toBeGreaterThan(0);
    const shown = Math.min(faults.length, 500);
    expect(state.incidents).toHaveLength(shown);
    const faultRows = state.incidents.filter((r) => r[2] === 'fault');
    expect(faultRows.length).toBeGreaterThan(0);
    for (const row of faultRows) expect(faults.map((f) => f.what)).toContain(row[3]);
  }, 120_000);

  it('keeps hostile text in a trace as text: a DLT payload with </script> neither breaks nor runs', async (ctx) => {
    const chromium = needBrowser(ctx);
    const dir = tempDir('tv-report-xss-');
    const rec = Recorder.create(dir, META);
    rec.appendEvents(eventColumns([{ ts: 100, kind: 'fault', vm: 0, id: 2 }]), 1);
    const payload = '</script><script>console.error("ran")</script><img src=x onerror=console.error(1)>';
    rec.appendDlt(dltRow({ ts_ns: 50, vm: 0, payload }));
    rec.finish();
    const file = report(dir, 'xss.html');
    const page = await visit(chromium, pathToFileURL(file).href, PAGE_STATE);
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    const state = page.value as PageState;
    expect(state.incidents).toHaveLength(1);
    expect(state.incidents[0]![4]).toBe(`APP CTX info ${payload}`);
    // a trace without a platform scenario: no verdict rows, said so
    // only the DLT chart has data; the sections without say so instead of drawing an empty chart
    expect(state.drawn).toEqual(['dlt']);
    expect(state.empty).toEqual(['verdicts', 'occupancy', 'steal', 'clock', 'sync', 'latency', 'throttle', 'links']);
  }, 120_000);
});

describe('tracevisor report of a gPTP run', () => {
  it('charts each client\'s synchronisation error and gives its lock time and error in the verdicts', async (ctx) => {
    const chromium = needBrowser(ctx);
    const run = join(root, 'gptp');
    const scenario = join(packageRoot(), 'test', 'sync', 'cockpit-gptp.json');
    expect(tv('record', scenario, '-o', run, '--duration', '2s', '--snapshot-every', '0').code).toBe(0);
    const state = (await visit(chromium, pathToFileURL(report(run, 'gptp.html')).href, PAGE_STATE)).value as PageState;
    expect(state.drawn).toContain('sync');
    const locks = queryJson(run, "SELECT v.name, min(ts_ns) FILTER (WHERE state = 'locked') AS lock_ns FROM sync JOIN vms v USING (vm) WHERE exchange = 'sync' GROUP BY v.name");
    expect(locks.length).toBeGreaterThan(0);
    for (const { name, lock_ns } of locks) {
      const row = state.verdicts.find((r) => r[0] === name)!;
      expect(row[9]).toMatch(new RegExp(`^locked at ${(Number(lock_ns) / 1e9).toFixed(3)} s, error RMS \\d+ ns, max \\d+ ns$`));
    }
    const grandmaster = state.verdicts.find((r) => r[9] === 'grandmaster');
    expect(grandmaster?.[0]).toBe('gateway');
  }, 120_000);
});

describe('tracevisor report, the file', () => {
  it('is self-contained: no external reference, a policy that forbids fetching, the same bytes each time', () => {
    const one = readFileSync(report(cockpit, 'a.html'), 'utf8');
    const two = readFileSync(report(cockpit, 'b.html'), 'utf8');
    expect(two).toBe(one);
    expect(one).toContain(`Content-Security-Policy" content="default-src 'none'`);
    expect(one).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(one).not.toMatch(/https?:\/\/(?!github\.com\/leeoniya)/); // uPlot's licence header names its home
  });

  it('refuses to overwrite without --force, and a damaged trace, in one line', () => {
    const out = report(cockpit, 'once.html');
    const again = tv('report', cockpit, '-o', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`tracevisor: ${out} exists; use --force to replace it, or -o another file\n`);
    const dir = tempDir('tv-report-damaged-');
    const damaged = join(dir, 't');
    expect(tv('record', '-o', damaged, '--duration', '100ms', '--snapshot-every', '0').code).toBe(0);
    const events = join(damaged, 'events.arrow');
    const bytes = readFileSync(events);
    writeFileSync(events, bytes.subarray(0, bytes.length - 100));
    const r = tv('report', damaged, '-o', join(dir, 'r.html'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*events/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});
