// Progress bars (issue 12 §6): on a terminal, record, import, export and report draw a bar with
// rate and ETA on stderr; into a pipe, or with --quiet, nothing; and a bar never changes what
// is written. A terminal is util-linux `script` running the command on a pseudo-terminal.

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';

const hasScript = spawnSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' }).status === 0;

/** Runs tracevisor on a pseudo-terminal; what the terminal showed (stdout and stderr together). */
function onTerminal(args: string[]): { code: number; screen: string } {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, screen: r.stdout };
}

const BAR = /recording \[[█░]+\] \d+% \| [\d.]+\/3\.00 virtual s \| [\d.–]+ virtual s\/s \| ETA/;

let root: string;
beforeAll(() => {
  requireCli();
  root = tempDir('tv-progress-');
});

describe('progress bars', () => {
  it('record draws a bar with rate and ETA on a terminal and clears it, and the trace is the same without', (ctx) => {
    ctx.skip(!hasScript, 'util-linux script is not installed');
    const withBar = join(root, 'bar');
    const r = onTerminal(['record', '-o', withBar, '--duration', '3s', '--snapshot-every', '0']);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toMatch(BAR);
    expect(r.screen).toContain('\x1b[2K'); // cleared before the summary
    expect(r.screen).toMatch(/recorded cockpit \(seed 1\) for 3\.000 s/);
    const plain = join(root, 'plain');
    const p = tv('record', '-o', plain, '--duration', '3s', '--snapshot-every', '0');
    expect(p.code).toBe(0);
    expect(p.stdout + p.stderr).not.toMatch(/\[[█░]+\]/);
    for (const f of readdirSync(plain).filter((n) => n.endsWith('.arrow'))) {
      expect(readFileSync(join(withBar, f)).equals(readFileSync(join(plain, f))), f).toBe(true);
    }
  }, 120_000);

  it('--quiet draws nothing on a terminal', (ctx) => {
    ctx.skip(!hasScript, 'util-linux script is not installed');
    const r = onTerminal(['record', '-o', join(root, 'quiet'), '--duration', '3s', '--snapshot-every', '0', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.screen).not.toMatch(/\[[█░]+\]/);
    expect(r.screen).toMatch(/recorded cockpit/);
  }, 120_000);

  it('import, export and report draw theirs too', (ctx) => {
    ctx.skip(!hasScript, 'util-linux script is not installed');
    const trace = join(root, 'bar');
    const dlt = join(root, 'run.dlt');
    const cases: [string[], RegExp][] = [
      [['export', 'dlt', trace, '-o', dlt, '--force'], /exporting \[[█░]+\] \d+% \| \d+\/\d+ rows/],
      [['import', 'dlt', dlt, '-o', join(root, 'imported'), '--force'], /importing \[[█░]+\] \d+% \| [\d.]+\/[\d.]+ MB/],
      [['export', 'perfetto', trace, '-o', join(root, 'run.pftrace'), '--force'], /exporting \[[█░]+\] \d+% \| \d+\/\d+ rows/],
      [['export', 'parquet', trace, '-o', join(root, 'pq'), '--force'], /exporting \[[█░]+\] \d+% \| \d+\/8 steps/], // the 6 trace tables, vms, devices
      [['report', trace, '-o', join(root, 'r.html'), '--force'], /reporting \[[█░]+\] \d+% \| \d+\/11 steps/], // one per named query the report draws
    ];
    for (const [args, bar] of cases) {
      const r = onTerminal(args);
      expect(r.code, `${args.join(' ')}: ${r.screen}`).toBe(0);
      expect(r.screen, args.slice(0, 2).join(' ')).toMatch(bar);
    }
  }, 180_000);
});
