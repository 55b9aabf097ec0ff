// `replay --break <predicate>`: the first recorded event matching a SQL predicate over the
// `events` columns, found with one query through the trace's QuerySession (the safe session:
// read-only settings, refused calls, the SQL helpers such as fault_name).

import { QueryError } from '../query/errors.js';
import { QuerySession } from '../query/session.js';
import { TravelError } from './travel-error.js';

/** An events row as the query returns it (kind by name, integers as numbers). */
export interface BreakEvent {
  ts_ns: number;
  seq: number;
  vm: number;
  vcpu: number;
  kind: string;
  dev: number;
  queue: number;
  id: number;
  len: number;
  val: number;
}

const COLUMNS = 'ts_ns, seq, vm, vcpu, kind, dev, queue, id, len, val';

/**
 * The first event (by seq) matching `predicate`, or null when none does; `warnings` gets the
 * session's lines for the user (a store rebuilt or not writable).
 */
export async function findBreakEvent(traceDir: string, predicate: string, warnings: string[] = []): Promise<BreakEvent | null> {
  checkPredicate(predicate);
  const session = await QuerySession.open(traceDir);
  warnings.push(...session.warnings);
  try {
    // The predicate sits on lines of its own, so a trailing `--` comment cannot swallow the
    // closing parenthesis; one statement only (checkPredicate refused `;`).
    const sql =
      `SELECT ${COLUMNS.replace('kind', 'kind::VARCHAR AS kind')} FROM events\n` +
      `WHERE (\n${predicate}\n)\nORDER BY seq LIMIT 1`;
    const result = await session.run(sql);
    const row = result.rows[0];
    if (row === undefined) return null;
    const names = result.columns.map((c) => c.name);
    const value = (name: string): unknown => row[names.indexOf(name)];
    const n = (name: string): number => Number(value(name));
    return {
      ts_ns: n('ts_ns'), seq: n('seq'), vm: n('vm'), vcpu: n('vcpu'), kind: String(value('kind')),
      dev: n('dev'), queue: n('queue'), id: n('id'), len: n('len'), val: n('val'),
    };
  } catch (error) {
    if (error instanceof QueryError && error.code === 'sql') {
      throw new TravelError(
        `--break "${oneLine(predicate)}": ${error.message}; the predicate is a SQL condition over ` +
          `events columns (${COLUMNS}), e.g. "kind = 'fault'"`,
      );
    }
    throw error;
  } finally {
    session.close();
  }
}

function checkPredicate(predicate: string): void {
  if (predicate.trim() === '') {
    throw new TravelError(`--break: the predicate is empty; give a SQL condition such as "kind = 'deadline_miss'"`);
  }
  if (predicate.includes(';')) {
    throw new TravelError(
      `--break "${oneLine(predicate)}": one condition only (no ";"); e.g. "kind = 'deadline_miss' AND vm = 0"`,
    );
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
