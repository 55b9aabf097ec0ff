// SQL helpers created in every query session (issue #7 point 5): what users otherwise write by
// hand in each query — ns → seconds or TIMESTAMP, time buckets, readable durations, names for
// fault codes and switch-drop reasons, DLT's numeric log level. They are TEMP macros: they live
// in the session's temp catalog, so they work on a read-only store and never enter a trace.
// `tracevisor queries -v` and the README's "SQL helpers" section print MACROS' docs.

import type { DuckDBConnection } from '@duckdb/node-api';
import { DLT_LEVELS, FAULT_CODES, FAULT_TYPES } from '../core/codes.js';

/**
 * Switch drop reasons recorded in `events.id` for kind `switch_drop`. The core's constants are
 * DROP_* in assembly/bus/switch.ts (code 0 is never written); test/query/sql-macros.test.ts
 * reads that file and checks this list against it.
 */
export const DROP_REASONS = ['none', 'unknown_mac', 'no_slot', 'queue_full', 'fcs_error'] as const;

export interface MacroDoc {
  signature: string;
  description: string;
  example: string;
  sql: string;
}

function caseOf(codes: readonly string[], argument: string): string {
  const arms = codes.map((name, code) => `WHEN ${code} THEN '${name}'`).join(' ');
  return `CASE ${argument} ${arms} END`;
}

function levelCase(): string {
  // DLT numbering (AUTOSAR PRS_Dlt: fatal 1 … verbose 6) is the dictionary index + 1
  const arms = DLT_LEVELS.map((name, index) => `WHEN '${name}' THEN ${index + 1}`).join(' ');
  return `CASE CAST(level AS VARCHAR) ${arms} END`;
}

export const MACROS: readonly MacroDoc[] = [
  {
    signature: 'ns_to_s(ns)',
    description: 'nanoseconds → seconds (DOUBLE)',
    example: 'ns_to_s(1500000000) = 1.5',
    sql: 'ns_to_s(ns) AS CAST(ns AS DOUBLE) / 1e9',
  },
  {
    signature: 'ns_to_ms(ns)',
    description: 'nanoseconds → milliseconds (DOUBLE)',
    example: 'ns_to_ms(2500000) = 2.5',
    sql: 'ns_to_ms(ns) AS CAST(ns AS DOUBLE) / 1e6',
  },
  {
    signature: 'ns_to_ts(ns)',
    description: 'Unix-epoch nanoseconds → TIMESTAMP_NS (for imported logs, whose ts_ns is wall time)',
    example: "ns_to_ts(1700000000123456789) = TIMESTAMP_NS '2023-11-14 22:13:20.123456789'",
    sql: 'ns_to_ts(ns) AS make_timestamp_ns(CAST(ns AS BIGINT))',
  },
  {
    signature: 'time_bucket_ns(ns, width_ns)',
    description: 'start of the width_ns-wide bucket holding ns (buckets start at 0; floor for negative times)',
    example: 'time_bucket_ns(2500000000, 1000000000) = 2000000000',
    // ns − (ns mod width) with the remainder taken positive, so −1 falls in [−width, 0)
    sql: 'time_bucket_ns(ns, width_ns) AS ns - (((ns % width_ns) + width_ns) % width_ns)',
  },
  {
    signature: 'nice_bin_ns(span_ns, bins)',
    description: 'a round bin width (1, 2 or 5 × 10^k ns) giving at most `bins` bins over span_ns; 1 for an empty span',
    example: 'nice_bin_ns(600000000000, 1000) = 1000000000',
    // the smallest of 1, 2, 5, 10 × 10^floor(log10(span / bins)) that is >= span / bins: the
    // report's charts (src/report) and the *_timeline queries bin with it
    sql:
      'nice_bin_ns(span_ns, bins) AS CAST(list_min(list_filter(' +
      'list_transform([1, 2, 5, 10], m -> m * pow(10, floor(log10(greatest(1, CAST(span_ns AS DOUBLE) / bins))))), ' +
      'w -> w >= greatest(1, CAST(span_ns AS DOUBLE) / bins))) AS BIGINT)',
  },
  {
    signature: 'format_ns(ns)',
    description: "a duration as text with a unit: ns, µs, ms or s, three decimals above ns",
    example: "format_ns(1234567) = '1.235 ms'",
    sql:
      "format_ns(ns) AS CASE WHEN ns IS NULL THEN NULL " +
      "WHEN abs(ns) >= 1000000000 THEN printf('%.3f s', ns / 1e9) " +
      "WHEN abs(ns) >= 1000000 THEN printf('%.3f ms', ns / 1e6) " +
      "WHEN abs(ns) >= 1000 THEN printf('%.3f µs', ns / 1e3) " +
      "ELSE printf('%d ns', CAST(ns AS BIGINT)) END",
  },
  {
    signature: 'fault_name(code)',
    description: "name of a fault code (events.id where kind = 'fault'); NULL for an unknown code",
    example: "fault_name(2) = 'desc_chain_loop'",
    sql: `fault_name(code) AS ${caseOf(FAULT_CODES, 'code')}`,
  },
  {
    signature: 'drop_reason(code)',
    description: "name of a switch drop reason (events.id where kind = 'switch_drop'); NULL for an unknown code",
    example: "drop_reason(3) = 'queue_full'",
    sql: `drop_reason(code) AS ${caseOf(DROP_REASONS, 'code')}`,
  },
  {
    signature: 'fault_type_name(code)',
    description: "name of a seeded fault type (events.id where kind = 'fault_injected'); NULL for an unknown code",
    example: "fault_type_name(6) = 'clock_step'",
    sql: `fault_type_name(code) AS ${caseOf(FAULT_TYPES, 'code')}`,
  },
  {
    signature: 'level_num(level)',
    description: 'DLT numeric log level: fatal 1, error 2, warn 3, info 4, debug 5, verbose 6 (NULL for none)',
    example: 'level_num(level) <= 3 keeps fatal, error and warn',
    sql: `level_num(level) AS ${levelCase()}`,
  },
];

/** Creates the helpers in the session (call right after QuerySession.open). */
export async function installMacros(connection: DuckDBConnection): Promise<void> {
  for (const macro of MACROS) await connection.run(`CREATE OR REPLACE TEMP MACRO ${macro.sql}`);
}

/** Text for `queries -v`: each helper with an example, and the ENUM comparison rule. */
export function describeMacrosText(): string {
  const lines = ['SQL helpers (in every session):'];
  for (const m of MACROS) {
    lines.push(`  ${m.signature.padEnd(28)} ${m.description}`);
    lines.push(`  ${''.padEnd(28)} e.g. ${m.example}`);
  }
  lines.push(...ENUM_NOTES.map((l) => `  ${l}`));
  return lines.join('\n') + '\n';
}

/** How ENUM columns compare with text: one note shared by `queries -v` and the README. */
export const ENUM_NOTES = [
  'ENUM columns (events.kind, dlt.type, dlt.level, dlt.mode) compare with a string literal as text:',
  "  level = 'warning'    error: 'warning' is not a dlt_level value (tracevisor checks literals)",
  "  level <= 'warn'      error: compares text; DuckDB alone would return every level",
  "  level <= 'warn'::dlt_level   fatal, error, warn (the ENUM's order: fatal < … < verbose)",
  '  level_num(level) <= 3        the same rows, by DLT number',
];
