import { describe, expect, it } from 'vitest';
import { DLT_LEVELS, EVENT_KINDS } from '../../src/core/codes.js';
import {
  TABLES,
  TABLE_NAMES,
  arrowSchema,
  describeTablesMarkdown,
  describeTablesText,
} from '../../src/trace/index.js';
import { eventColumns } from './helpers.js';
import { sqlColumnName } from '../../src/trace/tables.js';

describe('schema module', () => {
  it('events columns are exactly the core TraceColumns, in the contract order', () => {
    const contract = ['ts_ns', 'seq', 'vm', 'vcpu', 'kind', 'dev', 'queue', 'id', 'len', 'val'];
    expect(TABLES.events.columns.map((c) => c.name)).toEqual(contract);
    expect(Object.keys(eventColumns([])).sort()).toEqual([...contract].sort());
  });

  it('Arrow types follow the contract', () => {
    const types = (t: (typeof TABLE_NAMES)[number]): string[] =>
      arrowSchema(t).fields.map((f) => `${f.name}:${String(f.type)}${f.nullable ? '?' : ''}`);
    expect(types('events')).toEqual([
      'ts_ns:Int64', 'seq:Int64', 'vm:Int16', 'vcpu:Int16', 'kind:Dictionary<Uint8, Utf8>',
      'dev:Int16', 'queue:Int16', 'id:Int64', 'len:Int32', 'val:Int64',
    ]);
    expect(types('dlt')).toEqual([
      'ts_ns:Int64', 'local_ts_ns:Int64', 'vm:Int16', 'ecu:Utf8', 'apid:Utf8?', 'ctid:Utf8?',
      'session_id:Int32?', 'type:Dictionary<Int8, Utf8>?', 'subtype:Utf8?',
      'level:Dictionary<Int8, Utf8>?', 'msg_counter:Int16', 'verbose:Bool', 'noar:Int16',
      'message_id:Int64?', 'payload:Utf8', 'payload_raw:Binary', 'lifecycle:Int32',
      'storage_ts_ns:Int64?', 'htyp:Int16?', 'storage_ecu:Utf8?',
    ]);
    expect(types('clock')).toEqual([
      'ts_ns:Int64', 'vm:Int16', 'local_ns:Int64', 'offset_ns:Int64', 'drift_ppb:Int64',
      'steal_ns:Int64', 'uptime_ns:Int64',
    ]);
    expect(types('inputs')).toEqual([
      'ts_ns:Int64', 'seq:Int64', 'source:Utf8', 'kind:Utf8', 'data:Binary',
    ]);
    expect(TABLES.events.columns[4]!.dictionary).toBe(EVENT_KINDS);
    expect(TABLES.dlt.columns.find((c) => c.name === 'level')!.dictionary).toBe(DLT_LEVELS);
  });

  it('dictionary ids are fixed, not taken from apache-arrow\'s process-wide counter', () => {
    // A counter id would depend on how many Dictionary types were made before this module
    // loaded, so the schema bytes (and the hashes) would change with import order.
    const id = (t: 'events' | 'dlt', name: string): number =>
      (arrowSchema(t).fields.find((f) => f.name === name)!.type as { id: number }).id;
    expect([id('events', 'kind'), id('dlt', 'type'), id('dlt', 'level')]).toEqual([0, 0, 1]);
  });

  it('docs describe every column of every table', () => {
    const markdown = describeTablesMarkdown();
    const text = describeTablesText();
    for (const table of TABLE_NAMES) {
      expect(markdown).toContain(`### \`${table}\``);
      for (const column of TABLES[table].columns) {
        expect(column.description.length, `${table}.${column.name}`).toBeGreaterThan(3);
        // SQL names: the dlt bool `verbose` is `mode` in SQL (a DuckDB keyword, issue #7.5).
        expect(markdown).toContain(`| ${sqlColumnName(column)} |`);
        expect(text).toMatch(new RegExp(`^  ${sqlColumnName(column)}\\s`, 'm'));
      }
    }
    expect(markdown).toContain('| kind | event_kind |  | what happened');
    expect(markdown).toContain('| apid | VARCHAR (nullable) |');
    expect(markdown).toContain("| mode | dlt_mode |  | payload mode: 'verbose'");
    expect(markdown).not.toContain('| verbose |');
  });
});
