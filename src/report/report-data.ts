// What the HTML report shows, gathered from one query session: each chart's data is a named
// query's result (queries/…, each documented and tested on its own), so the report is queries
// plus charts. Results travel to the page as JSON: BIGINT becomes a number, and time columns
// are made relative to the trace's start first when its times are wall-clock ns (imported logs,
// ~1.7e18, beyond a double's 2^53), so no value loses precision.

import type { QueryResult, QuerySession } from '../query/session.js';
import { loadNamedQuery } from '../query/named.js';

/** The report's sections and the named query each one draws. */
export const REPORT_QUERIES = {
  health: 'vm/health',
  occupancy: 'sched/occupancy',
  steal: 'sched/steal_timeline',
  clock: 'clock/offset_timeline',
  sync: 'clock/sync', // --- clock sync (issue 11 §5): the verdicts' sync column
  syncTimeline: 'clock/sync_timeline',
  latency: 'virtio/latency_hist',
  throttle: 'bus/throttle_timeline',
  links: 'bus/link_util',
  dlt: 'dlt/ecu_rate',
  incidents: 'vm/incidents',
} as const;
export type ReportSection = keyof typeof REPORT_QUERIES;

export const REPORT_STEPS = Object.keys(REPORT_QUERIES).length;

/** Incident rows shown in the report's table; the rest are counted ("and N more"). */
export const INCIDENTS_SHOWN = 500;

/** Columns that hold a moment on the trace's time base (the others are durations or counts). */
const TIME_COLUMNS = new Set(['ts_ns', 'bin_start_ns', 'last_log_ts_ns']);
/** Times above this are wall-clock (Unix epoch) ns: imported logs. */
const WALL_CLOCK_NS = 1_000_000_000_000_000n;

export type Cell = number | string | boolean | null;

export interface ReportTable {
  /** The named query it came from (the report says so under each chart). */
  query: string;
  columns: string[];
  rows: Cell[][];
  /** Rows the query returned beyond those shown (incidents only). */
  more: number;
}

export interface ReportHeader {
  scenario: string;
  seed: string;
  tool: string;
  coreVersion: string;
  complete: boolean;
  /** Span of the trace's events (or DLT messages for imported logs), ns. */
  durationNs: number;
  /** The time base's origin subtracted from every time column (a decimal string; "0" for runs). */
  originNs: string;
  rows: Record<string, number>;
  /** Each VM's clock.sync role from the scenario (grandmaster, client), by VM name; none: not synced. */
  syncRoles: Record<string, string>;
}

export interface ReportData {
  header: ReportHeader;
  tables: Record<ReportSection, ReportTable>;
}

/** Calls `onStep(done)` after each section's query (the CLI's progress bar: REPORT_STEPS in all). */
export async function gatherReport(session: QuerySession, onStep?: (done: number) => void): Promise<ReportData> {
  const origin = await timeOrigin(session);
  const tables = {} as Record<ReportSection, ReportTable>;
  let done = 0;
  for (const [section, name] of Object.entries(REPORT_QUERIES) as [ReportSection, string][]) {
    tables[section] = section === 'incidents' ? await incidents(session, name, origin) : toTable(name, await session.runNamed(name), origin, 0);
    onStep?.(++done);
  }
  return { header: await header(session, origin), tables };
}

async function incidents(session: QuerySession, name: string, origin: bigint): Promise<ReportTable> {
  const sql = loadNamedQuery(name).sql;
  const shown = await session.run(`SELECT * FROM (${sql}) LIMIT ${INCIDENTS_SHOWN}`);
  const total = Number((await session.run(`SELECT count(*) FROM (${sql})`)).rows[0]![0]);
  return toTable(name, shown, origin, total - shown.rows.length);
}

/** 0 for recorded runs (virtual time starts at 0); the first moment for wall-clock traces. */
async function timeOrigin(session: QuerySession): Promise<bigint> {
  const r = await session.run(
    'SELECT min(t) FROM (SELECT min(ts_ns) AS t FROM events UNION ALL SELECT min(ts_ns) FROM dlt UNION ALL SELECT min(ts_ns) FROM clock)',
  );
  const first = r.rows[0]![0] as bigint | null;
  return first !== null && first > WALL_CLOCK_NS ? first : 0n;
}

async function header(session: QuerySession, origin: bigint): Promise<ReportHeader> {
  const manifest = session.trace!.manifest;
  const scenario = manifest.scenario as { name?: unknown } | null;
  const span = await session.run(
    'SELECT coalesce((SELECT max(ts_ns) - min(ts_ns) FROM events), (SELECT max(ts_ns) - min(ts_ns) FROM dlt), 0)',
  );
  const rows: Record<string, number> = {};
  for (const [table, entry] of Object.entries(manifest.tables)) rows[table] = entry.rows ?? 0;
  return {
    scenario: typeof scenario?.name === 'string' ? scenario.name : '(unnamed)',
    seed: manifest.seed,
    tool: `${manifest.tool.name} ${manifest.tool.version}`,
    coreVersion: String(manifest.coreVersion),
    complete: manifest.complete === true,
    durationNs: Number(span.rows[0]![0] ?? 0),
    originNs: origin.toString(),
    rows,
    syncRoles: syncRoles(manifest.scenario),
  };
}

function syncRoles(scenario: unknown): Record<string, string> {
  const vms = (scenario as { vms?: unknown } | null)?.vms;
  if (!Array.isArray(vms)) return {};
  const roles: Record<string, string> = {};
  for (const vm of vms as { name?: unknown; clock?: { sync?: { role?: unknown; protocol?: unknown } } }[]) {
    // A paravirtual clock (issue 11 §2) has no role: it follows the host clock as a client would.
    const role = vm.clock?.sync?.protocol === 'paravirt' ? 'paravirt' : vm.clock?.sync?.role;
    if (typeof vm.name === 'string' && typeof role === 'string') roles[vm.name] = role;
  }
  return roles;
}

function toTable(query: string, result: QueryResult, origin: bigint, more: number): ReportTable {
  const columns = result.columns.map((c) => c.name);
  const isTime = columns.map((c) => TIME_COLUMNS.has(c));
  const rows = result.rows.map((row) => row.map((value, i) => cell(value, isTime[i]! ? origin : 0n)));
  return { query, columns, rows, more };
}

function cell(value: unknown, origin: bigint): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value - origin);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return String(value);
}
