// The README's trace-table reference is the generator's output (src/trace/tables.ts), all four
// tables, so the docs cannot drift from the schema (issue #8: the dlt table lacked htyp and
// storage_ecu and called storage_ts_ns "imported logs only"). After changing a description,
// paste describeTablesMarkdown()'s output over the README's "### `events`" … "### `inputs`".
import { describe, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeTablesMarkdown } from '../../src/trace/tables.js';
import { packageRoot } from '../../src/util/package-root.js';

const README = readFileSync(join(packageRoot(), 'README.md'), 'utf8');

describe('README', () => {
  test('the trace tables are exactly what describeTablesMarkdown() generates', () => {
    expect(README).toContain(describeTablesMarkdown());
  });

  test('the dlt columns say what recorded runs fill', () => {
    expect(README).toMatch(/\| storage_ts_ns \| BIGINT \(nullable\) \| ns \| [^|]*recorded runs fill it too \(= ts_ns\)/);
    expect(README).toMatch(/\| htyp \| SMALLINT \(nullable\) \|/);
    expect(README).toMatch(/\| storage_ecu \| VARCHAR \(nullable\) \|/);
    expect(README).not.toMatch(/imported logs only/);
  });

  test('every local Markdown link points to a file of the repository', () => {
    const links = [...README.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    expect(links).toContain('ARCHITECTURE.md');
    for (const link of links) expect(existsSync(join(packageRoot(), link)), link).toBe(true);
  });
});
