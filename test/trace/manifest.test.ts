import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recorder, Trace, TraceError } from '../../src/trace/index.js';
import { META, eventColumns, tempDir } from './helpers.js';

function recorded(): string {
  const dir = tempDir();
  const rec = Recorder.create(dir, META);
  rec.appendEvents(eventColumns([{ ts: 1, kind: 'vq_used' }]), 1);
  rec.finish();
  return dir;
}

function openError(dir: string): TraceError {
  try {
    Trace.open(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceError);
    const e = error as TraceError;
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error('Trace.open did not throw');
}

function editManifest(dir: string, edit: (m: Record<string, any>) => void): void {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  edit(m);
  writeFileSync(path, JSON.stringify(m));
}

describe('opening a trace: one-line errors', () => {
  it('a missing path, a file, a directory without manifest', () => {
    const dir = tempDir();
    expect(openError(join(dir, 'nope'))).toMatchObject({ code: 'not_a_directory' });
    writeFileSync(join(dir, 'file'), 'x');
    const e = openError(join(dir, 'file'));
    expect(e.code).toBe('not_a_directory');
    expect(e.message).toMatch(/not a directory/);
    expect(openError(dir)).toMatchObject({ code: 'no_manifest' });
    expect(openError(dir).message).toMatch(/no manifest\.json; not a tracevisor trace/);
  });

  it('a manifest that is not JSON', () => {
    const dir = recorded();
    writeFileSync(join(dir, 'manifest.json'), '{"format": ');
    const e = openError(dir);
    expect(e.code).toBe('manifest_invalid');
    expect(e.message).toMatch(/not JSON/);
  });

  it.each([
    ['wrong format name', (m: any) => (m.format = 'perfetto'), /at format/],
    ['future version', (m: any) => (m.formatVersion = 2), /at formatVersion/],
    ['seed as a number', (m: any) => (m.seed = 42), /at seed/],
    ['bad hash', (m: any) => (m.tables.events.sha256 = 'abc'), /at tables\.events\.sha256/],
    ['negative rows', (m: any) => (m.tables.dlt.rows = -1), /at tables\.dlt\.rows/],
    ['unknown key', (m: any) => (m.extra = 1), /manifest invalid/],
    ['a table not listed', (m: any) => delete m.tables.clock, /lists no table "clock"/],
    ['a path as file name', (m: any) => (m.tables.events.file = '../x.arrow'), /tables\.events\.file/],
  ])('a manifest with %s', (_name, edit, message) => {
    const dir = recorded();
    editManifest(dir, edit);
    const e = openError(dir);
    expect(e.code).toBe('manifest_invalid');
    expect(e.message).toMatch(message);
  });

  it('a missing table file', () => {
    const dir = recorded();
    rmSync(join(dir, 'clock.arrow'));
    const e = openError(dir);
    expect(e.code).toBe('table_missing');
    expect(e.message).toMatch(/clock\.arrow is missing/);
  });

  it('a table file of another table is refused by its schema', () => {
    const dir = recorded();
    writeFileSync(join(dir, 'clock.arrow'), readFileSync(join(dir, 'inputs.arrow')));
    const trace = Trace.open(dir);
    expect(() => trace.scan('clock')).toThrow(TraceError);
    expect(() => trace.scan('clock')).toThrow(/the file holds the inputs table's columns, not clock's/);
  });
});

describe('creating a trace directory', () => {
  it('refuses a non-empty directory that is not a trace unless told to overwrite', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(() => Recorder.create(dir, META)).toThrow(/not empty and holds no trace/);
    Recorder.create(dir, META, { overwrite: true }).finish();
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(Trace.open(dir).manifest.complete).toBe(true);
  });

  it('replaces an existing trace', () => {
    const dir = recorded();
    expect(Trace.open(dir).manifest.tables.events!.rows).toBe(1);
    Recorder.create(dir, META).finish();
    expect(Trace.open(dir).manifest.tables.events!.rows).toBe(0);
    expect(existsSync(join(dir, 'manifest.json.tmp'))).toBe(false);
  });

  it('creates missing parents and refuses a path that is a file', () => {
    const base = tempDir();
    Recorder.create(join(base, 'a', 'b'), META).finish();
    expect(Trace.open(join(base, 'a', 'b')).manifest.complete).toBe(true);
    writeFileSync(join(base, 'f'), '');
    expect(() => Recorder.create(join(base, 'f'), META)).toThrow(/not a directory/);
    mkdirSync(join(base, 'empty'));
    Recorder.create(join(base, 'empty'), META).finish();
  });
});
