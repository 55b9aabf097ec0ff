// The AssemblyScript enums (assembly/trace/kinds.ts, assembly/faults.ts) are what the core
// compiles; src/core/codes.ts mirrors them for TypeScript. Same names, same order, same values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, FAULT_CODES, FAULT_EDGE, FAULT_TYPES, VIRTQ_DESC_F } from '../../src/core/codes.js';
import { packageRoot } from '../../src/util/package-root.js';

/** [name, value] pairs of `export const enum <name> { ... }` in an AssemblyScript file. */
function enumEntries(file: string, enumName: string): [string, number][] {
  const text = readFileSync(join(packageRoot(), file), 'utf8');
  const body = new RegExp(`export const enum ${enumName} \\{([^}]*)\\}`).exec(text);
  if (body === null) throw new Error(`${file}: enum ${enumName} not found`);
  return [...body[1]!.matchAll(/^\s*([A-Z0-9_]+)\s*=\s*(\d+)\s*,/gm)].map((m) => [m[1]!, Number(m[2])]);
}

describe('codes shared with the core', () => {
  it('event kinds agree name for name and value for value', () => {
    const entries = enumEntries('assembly/trace/kinds.ts', 'Kind');
    expect(entries.map(([n]) => n.toLowerCase())).toEqual([...EVENT_KINDS]);
    expect(entries.map(([, v]) => v)).toEqual(EVENT_KINDS.map((_, i) => i));
  });

  it('fault codes agree name for name and value for value', () => {
    const entries = enumEntries('assembly/faults.ts', 'Fault');
    expect(entries.map(([n]) => n.toLowerCase())).toEqual([...FAULT_CODES]);
    expect(entries.map(([, v]) => v)).toEqual(FAULT_CODES.map((_, i) => i));
  });

  it('seeded fault types agree name for name and value for value (issue 9 §5)', () => {
    const entries = enumEntries('assembly/faults.ts', 'FaultType');
    expect(entries.map(([n]) => n.toLowerCase())).toEqual([...FAULT_TYPES]);
    expect(entries.map(([, v]) => v)).toEqual(FAULT_TYPES.map((_, i) => i));
  });

  it('fault_injected edges agree with assembly/faults.ts FaultEdge', () => {
    const entries = enumEntries('assembly/faults.ts', 'FaultEdge');
    expect(Object.fromEntries(entries.map(([n, v]) => [n.toLowerCase(), v]))).toEqual({ ...FAULT_EDGE });
  });

  it('descriptor flags agree with assembly/virtio/spec.ts', () => {
    const text = readFileSync(join(packageRoot(), 'assembly/virtio/spec.ts'), 'utf8');
    const flags = Object.fromEntries(
      [...text.matchAll(/export const DESC_F_([A-Z]+): u16 = (\d+);/g)].map((m) => [m[1]!.toLowerCase(), Number(m[2])]),
    );
    expect(flags).toEqual({ ...VIRTQ_DESC_F });
  });
});
