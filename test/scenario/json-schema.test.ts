// The JSON Schema generated from the zod schema (`scenarios --schema`): checked with a tiny
// validator of our own (type, required, enum/const, minimum/maximum, pattern, anyOf/oneOf,
// items, additionalProperties — the keywords the generator emits) so no dependency is added.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.js';
import { BUILTIN_SCENARIOS, builtinScenarioText, parseScenario } from '../../src/scenario/load.js';
import { runScenarios } from '../../src/cli/scenarios.js';

type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Errors of `value` against `schema`, each as `path: keyword`. */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const fail = (keyword: string) => errors.push(`${path}: ${keyword}`);
  if (schema.type !== undefined) {
    const t = typeOf(value);
    if (!(schema.type === t || (schema.type === 'number' && t === 'integer'))) return [`${path}: type ${String(schema.type)}`];
  }
  if (schema.const !== undefined && value !== schema.const) fail('const');
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail('enum');
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail('minimum');
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail('maximum');
  }
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) fail('pattern');
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (options === undefined) continue;
    const passing = options.filter((o) => validate(o, value, path).length === 0).length;
    if (key === 'anyOf' ? passing === 0 : passing !== 1) fail(key);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail('minItems');
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail('maxItems');
    if (schema.items !== undefined) value.forEach((v, i) => errors.push(...validate(schema.items as Schema, v, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in object)) fail(`required ${key}`);
    for (const [key, v] of Object.entries(object)) {
      if (key in properties) errors.push(...validate(properties[key]!, v, `${path}.${key}`));
      else if (schema.additionalProperties === false) fail(`additionalProperties ${key}`);
    }
  }
  return errors;
}

const schema = scenarioJsonSchema();
const cockpit = () => JSON.parse(builtinScenarioText('cockpit'));

describe('the generated JSON Schema', () => {
  test('accepts both built-in scenarios, and one with a "$schema" key (which loading ignores)', () => {
    for (const name of BUILTIN_SCENARIOS) expect(validate(schema, JSON.parse(builtinScenarioText(name))), name).toEqual([]);
    const withSchema = { $schema: './scenario.schema.json', ...cockpit() };
    expect(validate(schema, withSchema)).toEqual([]);
    const loaded = parseScenario(withSchema, 'x');
    expect('$schema' in loaded).toBe(false);
    expect(loaded).toEqual(parseScenario(cockpit(), 'x'));
  });

  test('rejects bad files, naming the place and the keyword', () => {
    const bad = (patch: (s: Record<string, any>) => void): string[] => {
      const s = cockpit();
      patch(s);
      return validate(schema, s);
    };
    expect(bad((s) => delete s.vms)).toEqual(['$: required vms']);
    expect(bad((s) => (s.pcpus = 0))).toEqual(['$.pcpus: minimum']);
    expect(bad((s) => (s.colour = 'red'))).toEqual(['$: additionalProperties colour']);
    expect(bad((s) => (s.sliceNs = '3 parsecs'))).toEqual(['$.sliceNs: anyOf']);
    expect(bad((s) => (s.sliceNs = 1))).toEqual(['$.sliceNs: anyOf']); // below the 100us minimum
    expect(bad((s) => (s.vms[0].program.type = 'doom'))).toEqual(['$.vms[0].program: oneOf']);
    expect(bad((s) => (s.ecus[0].frames[0].canId = 2 ** 29))).toEqual(['$.ecus[0].frames[0].canId: maximum']);
    expect(bad((s) => (s.ecus[0].frames[0].signal = 'temperature'))).toEqual(['$.ecus[0].frames[0].signal: enum']);
    expect(bad((s) => (s.vms[1].clock.offsetNs = '-2s'))).toEqual([]); // signed durations where a time may be negative
    // inside a oneOf branch, a bad field fails the branch (JSON Schema semantics)
    expect(bad((s) => (s.vms[0].program.framePeriodNs = '-16ms'))).toEqual(['$.vms[0].program: oneOf']);
  });

  test('durations are integer | string with a pattern; defaults and descriptions are included', () => {
    const props = schema.properties as Record<string, Schema>;
    expect(props.durationNs).toMatchObject({ default: 10_000_000_000, anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] });
    expect((props.durationNs!.anyOf as Schema[])[1]!.pattern).toEqual(expect.any(String));
    expect(props.sliceNs).toMatchObject({ default: 2_000_000, anyOf: [{ type: 'integer', minimum: 100_000 }, { type: 'string' }] });
    // Every field of every object says what it is.
    const undocumented: string[] = [];
    const walk = (s: Schema, path: string) => {
      for (const [key, p] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        if (typeof p.description !== 'string' && key !== 'type') undocumented.push(`${path}.${key}`);
        walk(p, `${path}.${key}`);
      }
      for (const k of ['anyOf', 'oneOf'] as const) ((s[k] ?? []) as Schema[]).forEach((o) => walk(o, path));
      if (s.items !== undefined) walk(s.items as Schema, `${path}[]`);
    };
    walk(schema, '$');
    expect(undocumented).toEqual([]);
  });

  test('`scenarios --schema` prints it; --show prints a built-in file; --json lists them', () => {
    expect(JSON.parse(runScenarios({ schema: true }))).toEqual(schema);
    const root = join(import.meta.dirname, '..', '..');
    expect(runScenarios({ show: 'hostile' })).toBe(readFileSync(join(root, 'src', 'scenario', 'builtin', 'hostile.json'), 'utf8'));
    expect(() => runScenarios({ show: 'nope' })).toThrow(/nope: not a built-in scenario \(built-ins: cockpit, hostile\)/);
    const list = JSON.parse(runScenarios({ json: true }));
    expect(list.map((s: { name: string; default: boolean }) => [s.name, s.default])).toEqual([['cockpit', true], ['hostile', false]]);
  });
});
