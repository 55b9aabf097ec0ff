// The import command is timed against dlt-convert as a whole process, start-up included, so
// its modules must not pull in the heavy ones: apache-arrow (~80 ms to load) and zod (~55 ms).
// A static walk of the import graph from the command's module (type-only imports are erased
// by tsc and do not count).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const RUNTIME_IMPORT = /^import\s+(?!type\b)[^;]*?from\s+'([^']+)';/gms;

/** Every module a module loads at run time, transitively: our files and bare package names. */
function runtimeGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(RUNTIME_IMPORT)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const ts = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!existsSync(ts)) throw new Error(`${file}: cannot resolve ${spec}`);
        visit(ts);
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  };
  visit(entry);
  return { files, packages };
}

describe('start-up cost of the import command', () => {
  it('loads neither apache-arrow nor zod nor DuckDB', () => {
    // the command's module, and what its action loads once the writer thread is starting
    const command = runtimeGraph(join(SRC, 'cli', 'import.ts'));
    expect(command.files.has(join(SRC, 'formats', 'dlt', 'import.ts'))).toBe(false);
    expect(readFileSync(join(SRC, 'cli', 'import.ts'), 'utf8')).toContain("await import('../formats/dlt/import.js')");
    const { files, packages } = runtimeGraph(join(SRC, 'formats', 'dlt', 'import.ts'));
    expect(files.has(join(SRC, 'formats', 'dlt', 'kernel.ts'))).toBe(true);
    expect([...command.packages, ...packages].sort()).toEqual(['flatbuffers']);
  });

  it('the walk sees what the recorder loads (so the check above can fail)', () => {
    const { packages } = runtimeGraph(join(SRC, 'trace', 'recorder.ts'));
    expect(packages.has('apache-arrow')).toBe(true);
    expect(packages.has('zod')).toBe(true);
  });
});
