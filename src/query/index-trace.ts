// `tracevisor index`, `record --index`, `import … --index`: build a trace's query store now
// instead of on its first query (store.ts), and say what it holds.

import { TraceError } from '../trace/errors.js';
import { Trace } from '../trace/reader.js';
import { QueryError } from './errors.js';
import { buildStoreFor } from './open-store.js';
import { QuerySession } from './session.js';
import { DEFERRED_TABLES, storeBytes } from './store.js';
import { deferredReady } from './deferred-tables.js';
import { traceFingerprint } from '../trace/open.js';

export interface IndexResult {
  path: string;
  /** Rows of the trace tables in the store. */
  rows: number;
  bytes: number;
  seconds: number;
  /** False when a matching store was there already (and `force` was not given). */
  built: boolean;
  /** Tables verified and written on first use that are not yet (deferred-tables.ts). */
  deferred: { table: string; rows: number }[];
}

/** Builds (or with `force` rebuilds) the store of a verified trace; refuses a damaged one. */
export async function indexTrace(dir: string, options: { force?: boolean } = {}): Promise<IndexResult> {
  const started = performance.now();
  if (options.force !== true) return describeStore(dir, started);
  const warnings: string[] = [];
  let build;
  try {
    Trace.open(dir);
    build = await buildStoreFor(dir, traceFingerprint(dir), warnings);
  } catch (error) {
    if (error instanceof TraceError) throw new QueryError('load', error.message);
    throw error;
  }
  if (build === null) throw new QueryError('load', `${dir}: ${warnings.join('; ')}`);
  const seconds = elapsed(started);
  return { path: build.path, rows: build.rows, bytes: build.bytes, seconds, built: true, deferred: deferredOf(dir, build.path, Trace.open(dir)) };
}

/** Opens a session (which builds the store when none matches) and counts what the store holds. */
async function describeStore(dir: string, started: number): Promise<IndexResult> {
  const session = await QuerySession.open(dir);
  try {
    const { path, built } = session.store;
    if (path === null) throw new QueryError('load', `${dir}: ${session.warnings.join('; ')}`);
    const counts = await session.run(
      'SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM dlt) + ' +
        '(SELECT count(*) FROM clock) + (SELECT count(*) FROM inputs) + (SELECT count(*) FROM sync)',
    );
    const rows = Number(counts.rows[0]![0]);
    const deferred = deferredOf(dir, path, session.trace!);
    return { path, rows, bytes: storeBytes(path), seconds: elapsed(started), built, deferred };
  } finally {
    session.close();
  }
}

/** The deferred tables with rows whose file the store does not hold yet. */
function deferredOf(dir: string, path: string, trace: Trace): { table: string; rows: number }[] {
  return DEFERRED_TABLES.filter((t) => !deferredReady(dir, path, t, trace.manifest.tables[t]!.sha256))
    .map((t) => ({ table: t, rows: trace.manifest.tables[t]!.rows }))
    .filter((d) => d.rows > 0);
}

function elapsed(started: number): number {
  return (performance.now() - started) / 1000;
}
