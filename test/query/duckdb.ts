// An in-memory DuckDB connection for the output and statement tests (no trace needed), and a
// helper that prints one query through the streaming writers.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll } from 'vitest';
import { StringSink, writeResult, type WriteOptions } from '../../src/query/index.js';

const opened: DuckDBInstance[] = [];
afterAll(() => {
  for (const instance of opened.splice(0)) instance.closeSync();
});

export async function memoryConnection(): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  opened.push(instance);
  return instance.connect();
}

/** One SELECT's output through writeResult, as text. */
export async function printed(connection: DuckDBConnection, sql: string, options: WriteOptions): Promise<string> {
  const sink = new StringSink();
  await writeResult(await connection.stream(sql), sink, options);
  return sink.text();
}
