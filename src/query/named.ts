// Named queries: `queries/<package>/<name>.sql`, named by path (`queries/dlt/errors.sql` is
// `dlt/errors`), each a documented module in the PerfettoSQL style:
//
//   -- What the query answers (one or more lines).
//   --
//   -- @column name: description (unit)
//   SELECT …
//
// The queries directory ships next to package.json (package.json "files"), so it is found by
// walking up from this module; that works from src/ and from dist/src/ alike.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { packageInfo } from '../util/package-root.js';
import { QueryError } from './errors.js';

export interface NamedQueryColumn {
  name: string;
  description: string;
}

export interface NamedQuery {
  name: string;
  path: string;
  description: string;
  columns: NamedQueryColumn[];
  sql: string;
}

const NAME_PATTERN = /^[a-z0-9_]+(\/[a-z0-9_]+)*$/;

export function queriesDir(): string {
  return join(packageInfo().root, 'queries');
}

/** Every named query, sorted by name. */
export function listNamedQueries(dir: string = queriesDir()): NamedQuery[] {
  if (!existsSync(dir)) return [];
  const found: NamedQuery[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at).sort()) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.sql')) found.push(parseNamedQuery(nameOf(dir, path), path));
    }
  };
  walk(dir);
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function loadNamedQuery(name: string, dir: string = queriesDir()): NamedQuery {
  const path = join(dir, `${name}.sql`);
  if (!NAME_PATTERN.test(name) || !existsSync(path)) {
    const known = listNamedQueries(dir).map((q) => q.name);
    const hint = known.length > 0 ? `; known: ${known.join(', ')}` : '';
    throw new QueryError('unknown_query', `unknown named query "${name}"${hint}`);
  }
  return parseNamedQuery(name, path);
}

/** A --named argument that is a file path rather than a name: ends in .sql or has a ./ or / start. */
export function isQueryPath(name: string): boolean {
  return name.endsWith('.sql') || name.startsWith('.') || name.startsWith('/');
}

/**
 * Finds a named query: a path to a .sql file is read as is; a name is looked up in the user's
 * directories (--queries, in the order given) before the built-in queries/, so a user's module
 * can stand in for a built-in one.
 */
export function resolveNamedQuery(name: string, userDirs: readonly string[] = []): NamedQuery {
  if (isQueryPath(name)) {
    if (!existsSync(name) || !statSync(name).isFile()) {
      const hint = 'give a .sql file or a name from `tracevisor queries`';
      throw new QueryError('unknown_query', `${name}: no such query file (${hint})`);
    }
    return parseNamedQuery(basename(name, '.sql'), name);
  }
  checkQueryDirs(userDirs);
  for (const dir of userDirs) {
    if (NAME_PATTERN.test(name) && existsSync(join(dir, `${name}.sql`))) return loadNamedQuery(name, dir);
  }
  try {
    return loadNamedQuery(name);
  } catch (error) {
    if (userDirs.length === 0 || !(error instanceof QueryError)) throw error;
    const known = listAllNamedQueries(userDirs).map((q) => q.name);
    throw new QueryError('unknown_query', `unknown named query "${name}"; known: ${known.join(', ')}`);
  }
}

/** The user's queries (each --queries directory) and the built-in ones, a user's name first. */
export function listAllNamedQueries(userDirs: readonly string[] = []): NamedQuery[] {
  checkQueryDirs(userDirs);
  const byName = new Map<string, NamedQuery>();
  for (const dir of [...userDirs, queriesDir()]) {
    for (const q of listNamedQueries(dir)) if (!byName.has(q.name)) byName.set(q.name, q);
  }
  return Array.from(byName.values()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function checkQueryDirs(userDirs: readonly string[]): void {
  for (const dir of userDirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      const hint = 'give a directory of .sql query modules';
      throw new QueryError('unknown_query', `--queries ${dir}: not a directory (${hint})`);
    }
  }
}

function nameOf(dir: string, path: string): string {
  return relative(dir, path).slice(0, -'.sql'.length).split(sep).join('/');
}

/** Splits the header comment into description and `@column` docs; the rest is the SQL. */
export function parseNamedQuery(name: string, path: string, text = readFileSync(path, 'utf8')): NamedQuery {
  const lines = text.split(/\r?\n/);
  const description: string[] = [];
  const columns: NamedQueryColumn[] = [];
  let index = 0;
  for (; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (!line.startsWith('--')) break;
    const body = line.replace(/^--\s?/, '');
    const column = /^@column\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$/.exec(body);
    if (column) columns.push({ name: column[1]!, description: column[2]!.trim() });
    else if (!body.startsWith('@')) description.push(body.trim());
  }
  const sql = lines.slice(index).join('\n').trim().replace(/;\s*$/, '');
  return {
    name,
    path,
    description: description.join(' ').replace(/\s+/g, ' ').trim(),
    columns,
    sql,
  };
}
