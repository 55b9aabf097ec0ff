// The README's scenario field table is generated from the schema; this keeps the two in step.
// UPDATE_README=1 npx vitest run test/scenario/docs.test.ts rewrites the table.
import { describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeScenarioMarkdown } from '../../src/scenario/docs.js';

const README = join(import.meta.dirname, '..', '..', 'README.md');
const BEGIN = '<!-- scenario-fields:begin -->\n';
const END = '<!-- scenario-fields:end -->';

describe('README "Scenarios"', () => {
  test('the field table is the one generated from the schema', () => {
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(BEGIN) + BEGIN.length;
    const end = text.indexOf(END);
    expect(start).toBeGreaterThan(BEGIN.length);
    expect(end).toBeGreaterThan(start - 1);
    const generated = describeScenarioMarkdown();
    if (process.env.UPDATE_README) writeFileSync(README, text.slice(0, start) + generated + text.slice(end));
    else expect(text.slice(start, end)).toBe(generated);
  });

  test('every field with a default shows it, and durations show their range in units', () => {
    const table = describeScenarioMarkdown();
    expect(table).toContain('| `sliceNs` | duration | 2ms | 100us .. 1s |');
    expect(table).toContain('| `vms[].clock.offsetNs` | duration (signed) | 0 |');
    expect(table).toContain('| `vms[].program (gateway).statsEveryNs` | duration | 1s | 1ms .. 24h |');
  });
});
