// Catches the two ENUM-vs-text mistakes DuckDB answers silently (measured on DuckDB 1.5, pinned
// by test/query/sql-statements.test.ts): comparing an ENUM column with a VARCHAR literal compares the
// column's *text*, so `level = 'warning'` (a typo) matches no row, and `level <= 'warn'` returns
// every level ('verbose' < 'warn' alphabetically) instead of fatal, error and warn.
//
// The check reads the statement's parse tree (json_serialize_sql, DuckDB's own parser) and looks
// for a comparison, IN list or BETWEEN between a column named like a trace ENUM column (of a
// trace table the statement reads) and a plain string literal. A literal with an explicit cast
// ('warn'::dlt_level, 'x'::VARCHAR) is a CAST node, not a constant, so it is never flagged.

import type { DuckDBConnection } from '@duckdb/node-api';
import { TABLE_NAMES, TABLES, type TableName } from '../trace/tables.js';
import { QueryError } from './errors.js';

interface EnumColumn {
  table: TableName;
  typeName: string;
  values: readonly string[];
}

const ENUM_COLUMNS = new Map<string, EnumColumn[]>();
for (const table of TABLE_NAMES) {
  for (const c of TABLES[table].columns) {
    // enum columns, and bool columns SQL sees as an ENUM (dlt.verbose is the ENUM `mode`)
    const column = c.kind === 'enum' ? { name: c.name, typeName: c.enumTypeName!, values: c.dictionary! }
      : c.sql ? { name: c.sql.name, typeName: c.sql.enumTypeName, values: c.sql.dictionary } : null;
    if (column === null) continue;
    const list = ENUM_COLUMNS.get(column.name) ?? [];
    list.push({ table, typeName: column.typeName, values: column.values });
    ENUM_COLUMNS.set(column.name, list);
  }
}

const EQUALITY: Record<string, string> = {
  COMPARE_EQUAL: '=', COMPARE_NOTEQUAL: '<>', COMPARE_DISTINCT_FROM: 'IS DISTINCT FROM',
  COMPARE_NOT_DISTINCT_FROM: 'IS NOT DISTINCT FROM',
};
const ORDERING: Record<string, string> = {
  COMPARE_LESSTHAN: '<', COMPARE_GREATERTHAN: '>', COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHANOREQUALTO: '>=',
};
const MIRRORED: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

type Node = Record<string, unknown>;

/** The trace tables a statement reads, and what each alias (or bare name) of them stands for. */
interface Tables {
  names: Set<string>;
  aliases: Map<string, string>;
}

/** Throws a QueryError naming the allowed values when the SQL compares an ENUM with a bad literal. */
export async function checkEnumLiterals(connection: DuckDBConnection, statements: readonly string[]): Promise<void> {
  for (const sql of statements) {
    const tree = await parseTree(connection, sql);
    if (tree === null) continue;
    const tables: Tables = { names: new Set(), aliases: new Map() };
    collect(tree, (node) => {
      if (node.type !== 'BASE_TABLE' || typeof node.table_name !== 'string') return;
      const name = node.table_name.toLowerCase();
      tables.names.add(name);
      tables.aliases.set(typeof node.alias === 'string' && node.alias !== '' ? node.alias.toLowerCase() : name, name);
    });
    collect(tree, (node) => checkNode(node, tables));
  }
}

/**
 * The statement's parse tree, or null when DuckDB cannot serialise it (not a SELECT, or a syntax
 * error, which execution then reports).
 */
async function parseTree(connection: DuckDBConnection, sql: string): Promise<unknown> {
  try {
    const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
    const parsed = JSON.parse(String(reader.getRows()[0]![0])) as { error?: boolean; statements?: unknown };
    return parsed.error ? null : (parsed.statements ?? null);
  } catch {
    return null;
  }
}

function collect(value: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) collect(item, visit);
  } else if (value !== null && typeof value === 'object') {
    visit(value as Node);
    for (const child of Object.values(value)) collect(child, visit);
  }
}

function checkNode(node: Node, tables: Tables): void {
  const type = String(node.type);
  if (node.class === 'COMPARISON' && (type in EQUALITY || type in ORDERING)) {
    checkPair(node.left, node.right, EQUALITY[type] ?? ORDERING[type]!, tables, type in ORDERING);
    checkPair(node.right, node.left, MIRRORED[ORDERING[type] ?? ''] ?? EQUALITY[type]!, tables, type in ORDERING);
  } else if (node.class === 'OPERATOR' && (type === 'COMPARE_IN' || type === 'COMPARE_NOT_IN')) {
    const children = node.children as unknown[];
    const op = type === 'COMPARE_IN' ? 'IN' : 'NOT IN';
    for (let i = 1; i < children.length; i++) checkPair(children[0], children[i], op, tables, false);
  } else if (node.class === 'BETWEEN') {
    checkPair(node.input, node.lower, 'BETWEEN', tables, true);
    checkPair(node.input, node.upper, 'BETWEEN', tables, true);
  }
}

function checkPair(
  columnNode: unknown,
  literalNode: unknown,
  op: string,
  tables: Tables,
  ordering: boolean,
): void {
  const ref = columnRef(columnNode);
  const literal = stringLiteral(literalNode);
  if (ref === null || literal === null) return;
  const { name } = ref;
  const candidates = enumCandidates(ref, tables);
  const column = candidates[0];
  if (column === undefined) return;
  // several tables have an ENUM column of this name (events.kind, frames.kind) and the
  // reference does not say which: only a literal no candidate allows matches no row for sure
  if (!ordering && candidates.some((c) => c.values.includes(literal))) return;
  const shown = `${name} ${op} '${literal}'`;
  if (ordering) {
    throw new QueryError(
      'sql',
      `SQL error: ${shown} compares ${name} as text, not in ${column.typeName} order (${column.values.join(' < ')}); ` +
        `cast the literal: ${name} ${op} '${literal}'::${column.typeName}` +
        levelHint(column, literal, op),
    );
  }
  if (!column.values.includes(literal)) {
    throw new QueryError(
      'sql',
      `SQL error: ${shown}: '${literal}' is not a ${column.typeName} value, so it matches no row; ` +
        `allowed: ${column.values.join(', ')}`,
    );
  }
}

/** For dlt.level, the numeric form with the literal's DLT number (fatal 1 … verbose 6). */
function levelHint(column: EnumColumn, literal: string, op: string): string {
  const index = column.values.indexOf(literal);
  if (column.typeName !== 'dlt_level' || index < 0 || op === 'BETWEEN') return '';
  return `, or compare DLT numbers: level_num(level) ${op} ${index + 1}`;
}

/** A column reference: its name and, when qualified (`f.kind`), the table or alias before it. */
function columnRef(node: unknown): { name: string; qualifier: string | null } | null {
  const n = node as Node | null;
  if (n?.class !== 'COLUMN_REF' || !Array.isArray(n.column_names)) return null;
  const names = (n.column_names as string[]).map((x) => x.toLowerCase());
  return { name: names[names.length - 1]!, qualifier: names.length > 1 ? names[names.length - 2]! : null };
}

/**
 * The ENUM columns a reference may be: of the trace tables the statement reads, the one its
 * qualifier names (an alias or a table), else every one with that column name; none when the
 * qualifier names a trace table without such a column.
 */
function enumCandidates(ref: { name: string; qualifier: string | null }, tables: Tables): EnumColumn[] {
  const all = (ENUM_COLUMNS.get(ref.name) ?? []).filter((c) => tables.names.has(c.table));
  const table = ref.qualifier === null ? undefined : tables.aliases.get(ref.qualifier);
  return table === undefined ? all : all.filter((c) => c.table === table);
}

function stringLiteral(node: unknown): string | null {
  const n = node as { class?: string; value?: { type?: { id?: string }; is_null?: boolean; value?: unknown } } | null;
  if (n?.class !== 'CONSTANT' || n.value?.type?.id !== 'VARCHAR' || n.value.is_null) return null;
  return String(n.value.value);
}
