// sweep takes record's --fault and file --can-input (issue 9 §6: "takes record's options"): every
// seed's run gets them, and the reproduce line carries them, so the printed command records the
// failing run. The expectations are reasoned: the cockpit misses no deadline in its first 2 s
// (a plain sweep passes), and a 200 ms stall of the cluster's only vCPU makes its 16.7 ms frame
// task late (every seed fails).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';

const STALL = 'vcpu_stall:vm=cluster,at=1s,for=200ms';

beforeAll(() => requireCli());

describe('sweep with record options', () => {
  it('without the fault every seed passes; with --fault every seed fails and the reproduce line records it', () => {
    const plain = tv('sweep', 'cockpit', '--seeds', '1-2', '--duration', '2s', '--check', 'sched/deadline_misses', '-q', '--jobs', '1');
    expect(plain.code, plain.stderr).toBe(0);
    const faulty = tv('sweep', 'cockpit', '--seeds', '1-2', '--duration', '2s', '--check', 'sched/deadline_misses', '-q', '--jobs', '1', '--fault', STALL);
    expect(faulty.code, faulty.stderr).toBe(4);
    expect(faulty.stdout).toContain('0 pass, 2 fail');
    const line = /reproduce seed 1: (tracevisor record .*)\n/.exec(faulty.stdout)![1]!;
    expect(line).toContain(`--fault ${STALL}`);
    const dir = join(tempDir('tv-sweep-fault-'), 'seed-1');
    const command = line.replace(/^tracevisor /, `"${process.execPath}" "${CLI}" `).replace(/-o \S+$/, `-o "${dir}"`);
    const recorded = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
    expect(recorded.status, recorded.stderr).toBe(0);
    const rows = tv('query', dir, '--named', 'sched/deadline_misses', '--format', 'csv');
    expect(rows.code, rows.stderr).toBe(0);
    expect(rows.stdout.trim().split('\n').length - 1).toBeGreaterThan(0);
  });

  it('--can-input plays a candump file in every run; a live source or a bad file is refused before any seed runs', () => {
    const dir = tempDir('tv-sweep-can-');
    const log = join(dir, 'can.log');
    writeFileSync(log, '(100.000000) can0 123#01\n(100.010000) can0 124#02\n');
    const r = tv('sweep', 'cockpit', '--seeds', '1-2', '--duration', '100ms', '--check', 'SELECT * FROM inputs', '-q', '--can-input', `can0=${log}`, '-o', join(dir, 'summary'));
    expect(r.code, r.stderr).toBe(4); // the check returns the two input rows of every run
    expect(r.stdout).toContain('failing seeds (the check returned rows): 1 (2 rows), 2 (2 rows)');
    expect(r.stdout).toContain(`--can-input can0=${log}`);
    const live = tv('sweep', 'cockpit', '--seeds', '1', '--check', 'SELECT 1', '--can-input', 'can0=tcp:0');
    expect(live.code).toBe(2);
    expect(live.stderr).toMatch(/^tracevisor: --can-input can0=tcp:0: sweep plays candump files only/);
    writeFileSync(log, 'not a candump line\n');
    const bad = tv('sweep', 'cockpit', '--seeds', '1', '--check', 'SELECT 1', '--can-input', `can0=${log}`);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain(`${log}:1`);
  });
});
