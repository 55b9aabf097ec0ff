// Renders a query result as an aligned text table (default), CSV (RFC 4180) or JSON.

import type { QueryResult } from './session.js';

export const OUTPUT_FORMATS = ['table', 'csv', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function formatResult(result: QueryResult, format: OutputFormat = 'table'): string {
  switch (format) {
    case 'table':
      return formatTable(result);
    case 'csv':
      return formatCsv(result);
    case 'json':
      return formatJson(result);
  }
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** A value as text; null → undefined so each format picks its own spelling. */
function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (value instanceof Uint8Array) return `\\x${hex(value)}`;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U?(TINY|SMALL|BIG|HUGE)?INT|UINTEGER|FLOAT|DOUBLE|DECIMAL.*)$/;

/**
 * Columns padded to their widest cell, numbers right-aligned, NULL spelled out, a dashed rule
 * under the header and a row count at the end. Cell text is kept on one line (\n → ⏎).
 */
export function formatTable(result: QueryResult): string {
  const header = result.columns.map((c) => c.name);
  const numeric = result.columns.map((c) => NUMERIC_TYPE.test(c.type));
  const cells = result.rows.map((row) =>
    row.map((v) => (text(v) ?? 'NULL').replace(/\r?\n/g, '⏎')),
  );
  const widths = header.map((h, i) =>
    Math.max(width(h), ...cells.map((r) => width(r[i]!))),
  );
  const line = (values: string[], isHeader: boolean): string =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(widths[i]! - width(v));
        return numeric[i] && !isHeader ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [line(header, true), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row, false));
  const n = result.rows.length;
  out.push(`(${n} ${n === 1 ? 'row' : 'rows'})`);
  return out.join('\n') + '\n';
}

/** Display width: code points (not UTF-16 units), good enough for the ASCII-heavy traces. */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

/** RFC 4180: CRLF line ends; a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export function formatCsv(result: QueryResult): string {
  const field = (value: string | undefined): string => {
    if (value === undefined) return '';
    return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  };
  const lines = [result.columns.map((c) => field(c.name)).join(',')];
  for (const row of result.rows) lines.push(row.map((v) => field(text(v))).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** A JSON array of objects keyed by column name. */
export function formatJson(result: QueryResult): string {
  const objects = result.rows.map((row) => {
    const object: Record<string, unknown> = {};
    result.columns.forEach((c, i) => {
      object[c.name] = jsonValue(row[i]);
    });
    return object;
  });
  return JSON.stringify(objects, null, 2) + '\n';
}

/** BigInt → number when exactly representable, else its decimal string; bytes → hex. */
export function jsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (value instanceof Uint8Array) return hex(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value;
}
