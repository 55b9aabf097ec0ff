// The README's scenario field table, generated from the JSON Schema (itself generated from the
// zod schema), as the trace tables are generated from tables.ts: one source for the checks, the
// editor schema and the docs. test/scenario/docs.test.ts keeps the README in step.

import { formatDurationShort } from './duration.js';
import { scenarioJsonSchema } from './json-schema.js';

type Schema = Record<string, unknown>;

interface Row {
  field: string;
  type: string;
  defaultText: string;
  range: string;
  description: string;
}

function isDuration(s: Schema): boolean {
  const options = s.anyOf as Schema[] | undefined;
  return options?.length === 2 && options[0]!.type === 'integer' && options[1]!.type === 'string';
}

function durationRange(s: Schema): string {
  const ns = (s.anyOf as Schema[])[0]!;
  return `${formatDurationShort(ns.minimum as number)} .. ${formatDurationShort(ns.maximum as number)}`;
}

function typeText(s: Schema): string {
  if (isDuration(s)) {
    const signed = String((s.anyOf as Schema[])[1]!.pattern).includes('[+-]');
    return signed ? 'duration (signed)' : 'duration';
  }
  if (Array.isArray(s.enum)) return s.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (s.type === 'array') return 'array';
  return String(s.type ?? 'object');
}

function rangeText(s: Schema): string {
  if (isDuration(s)) return durationRange(s);
  const parts: string[] = [];
  if (typeof s.minimum === 'number' || typeof s.maximum === 'number') {
    parts.push(`${s.minimum ?? ''} .. ${s.maximum ?? ''}`);
  }
  if (typeof s.minItems === 'number' || typeof s.maxItems === 'number') {
    parts.push(`${s.minItems ?? 0} .. ${s.maxItems ?? ''} items`);
  }
  if (typeof s.pattern === 'string') parts.push(`\`${s.pattern}\``);
  return parts.join(', ');
}

function defaultText(s: Schema): string {
  if (!('default' in s)) return '';
  if (isDuration(s) && typeof s.default === 'number') return formatDurationShort(s.default);
  return `\`${JSON.stringify(s.default)}\``;
}

function rowsOf(s: Schema, path: string, out: Row[]): void {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required ?? []) as string[]);
  for (const [key, p] of Object.entries(properties)) {
    if (p.const !== undefined && variantTag(s) === key) continue; // a variant's tag, named in its path
    const field = `${path}${path === '' ? '' : '.'}${key}`;
    const required_ = required.has(key) && !('default' in p) ? ' (required)' : '';
    const description = `${p.description ?? ''}${required_}`;
    out.push({ field, type: typeText(p), defaultText: defaultText(p), range: rangeText(p), description });
    children(p, field, out);
  }
}

function children(s: Schema, path: string, out: Row[]): void {
  if (s.type === 'object') rowsOf(s, path, out);
  if (s.type === 'array' && s.items !== undefined) children(s.items as Schema, `${path}[]`, out);
  for (const variant of (s.oneOf ?? []) as Schema[]) {
    const key = variantTag(variant) ?? 'type';
    const tag = ((variant.properties ?? {}) as Record<string, Schema>)[key];
    const name = String(tag?.const ?? '?');
    const description = String(tag?.description ?? '');
    out.push({ field: `${path} (${name})`, type: `\`${key}: "${name}"\``, defaultText: '', range: '', description });
    rowsOf(variant, `${path} (${name})`, out);
  }
}

/** A union variant's tag: `type`, or the first constant field (clock.sync's `protocol`, issue 11 §2). */
function variantTag(variant: Schema): string | undefined {
  const props = (variant.properties ?? {}) as Record<string, Schema>;
  if (props.type?.const !== undefined) return 'type';
  return Object.keys(props).find((k) => props[k]!.const !== undefined);
}

/** The field table of the README's "Scenarios" section. */
export function describeScenarioMarkdown(): string {
  const rows: Row[] = [];
  rowsOf(scenarioJsonSchema(), '', rows);
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const lines = ['| field | type | default | range | meaning |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const cells = [r.type, r.defaultText, r.range, r.description].map(escape);
    lines.push(`| \`${r.field}\` | ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
