// Named queries from a user's directories and from paths (issue #7 point 5).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueryError, isQueryPath, listAllNamedQueries, resolveNamedQuery } from '../../src/query/index.js';
import { tempDir } from '../trace/helpers.js';

function userDir(): string {
  const dir = tempDir('tv-named-');
  mkdirSync(join(dir, 'dlt'));
  writeFileSync(join(dir, 'dlt', 'errors.sql'), '-- My own errors.\nSELECT 1 AS mine;\n');
  writeFileSync(join(dir, 'mine.sql'), '-- Mine.\n--\n-- @column x: a number\nSELECT 2 AS x\n');
  return dir;
}

describe('named queries beyond queries/', () => {
  it('a user directory comes first, so a module there stands in for a built-in one', () => {
    const dir = userDir();
    expect(resolveNamedQuery('dlt/errors', [dir]).sql).toBe('SELECT 1 AS mine');
    expect(resolveNamedQuery('dlt/errors').description).toMatch(/^Which fatal and error messages/);
    expect(resolveNamedQuery('mine', [dir])).toMatchObject({ name: 'mine', description: 'Mine.', columns: [{ name: 'x', description: 'a number' }] });
  });

  it('the list merges both, a user\'s name once', () => {
    const names = listAllNamedQueries([userDir()]).map((q) => q.name);
    expect(names.filter((n) => n === 'dlt/errors')).toHaveLength(1);
    expect(names).toContain('mine');
    expect(names).toContain('virtio/latency');
  });

  it('a path is read as a file; a missing file or directory is one clear line', () => {
    const dir = userDir();
    expect(isQueryPath('./q.sql')).toBe(true);
    expect(isQueryPath('dlt/errors')).toBe(false);
    expect(resolveNamedQuery(join(dir, 'mine.sql')).name).toBe('mine');
    expect(() => resolveNamedQuery(join(dir, 'none.sql'))).toThrow(/none\.sql: no such query file/);
    expect(() => resolveNamedQuery('mine', [join(dir, 'nowhere')])).toThrow(QueryError);
    expect(() => listAllNamedQueries([join(dir, 'nowhere')])).toThrow(/--queries .*nowhere: not a directory/);
  });
});
