// The one description of the trace tables (ARCHITECTURE principle 5), free of any Arrow
// library: the recorder builds its Arrow schemas from it (schema.ts), the IPC encoder its schema
// messages (ipc-encode.ts), the query layer its DuckDB tables, and the README / --help their
// column docs. Adding a column here is the whole change for all of them; the reader checks files
// against it. Modules on a fast path (import) take this one instead of schema.ts, which loads
// apache-arrow.

import { DLT_LEVELS, EVENT_KINDS } from '../core/codes.js';

/** Rows per record batch; fixed so that batch boundaries, and so the bytes, depend on the data alone. */
export const ROWS_PER_BATCH_DEFAULT = 8192;

/** DLT message types (DLT spec: MSTP field). Dictionary codes of `dlt.type`. */
export const DLT_TYPES = ['log', 'app_trace', 'nw_trace', 'control'] as const;
export type DltType = (typeof DLT_TYPES)[number];

/** Storage class of a column: decides the Arrow type, the DuckDB type and the row buffer. */
export type ColumnKind = 'i16' | 'i32' | 'i64' | 'bool' | 'utf8' | 'binary' | 'enum';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  /** For kind 'enum': the fixed dictionary and the width of its codes. */
  readonly dictionary?: readonly string[];
  readonly indexWidth?: 'u8' | 'i8';
  /** DuckDB ENUM type name created for this dictionary (kind 'enum' only). */
  readonly enumTypeName?: string;
  readonly description: string;
  /** Unit for docs ('ns', 'bytes', …); '' when the value is a code or a name. */
  readonly unit: string;
  /**
   * How SQL sees the column when that differs from the Arrow file (kind 'bool' only): another
   * name and an ENUM whose codes 0/1 are the bool's false/true. The trace format is unchanged.
   */
  readonly sql?: SqlEnumColumn;
}

export interface SqlEnumColumn {
  readonly name: string;
  readonly enumTypeName: string;
  /** Code 0 (false) first, code 1 (true) second. */
  readonly dictionary: readonly [string, string];
}

export interface TableSpec {
  readonly name: TableName;
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
}

export const TABLE_NAMES = ['events', 'dlt', 'clock', 'inputs', 'sync', 'frames'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

const NA = '−1 when not applicable';

export const EVENTS_TABLE: TableSpec = {
  name: 'events',
  description:
    'Everything the WASM core did, one row per event, in (ts_ns, seq) order. ' +
    'id/len/val mean different things per kind (see src/core/codes.ts).',
  columns: [
    { name: 'ts_ns', kind: 'i64', nullable: false, unit: 'ns', description: 'virtual time' },
    {
      name: 'seq',
      kind: 'i64',
      nullable: false,
      unit: '',
      description: 'global sequence number; breaks ties between equal ts_ns',
    },
    { name: 'vm', kind: 'i16', nullable: false, unit: '', description: `VM index, ${NA}` },
    { name: 'vcpu', kind: 'i16', nullable: false, unit: '', description: `vCPU index, ${NA}` },
    {
      name: 'kind',
      kind: 'enum',
      nullable: false,
      dictionary: EVENT_KINDS,
      indexWidth: 'u8',
      enumTypeName: 'event_kind',
      unit: '',
      description: 'what happened (EVENT_KINDS: vq_used, sched_run, bus_throttle, …)',
    },
    { name: 'dev', kind: 'i16', nullable: false, unit: '', description: `device index, ${NA}` },
    {
      name: 'queue',
      kind: 'i16',
      nullable: false,
      unit: '',
      description: `queue index within its device (VIRTIO numbering, e.g. virtio-net rx 0, tx 1); in can_* rows the CAN bus index; ${NA}`,
    },
    {
      name: 'id',
      kind: 'i64',
      nullable: false,
      unit: '',
      description: 'per kind: descriptor head, ring index, fault code, CAN id (bit 31 set for a 29-bit id: SocketCAN\'s CAN_EFF_FLAG), link …',
    },
    {
      name: 'len',
      kind: 'i32',
      nullable: false,
      unit: '',
      description: 'per kind: bytes, CAN dlc, contenders or fault detail',
    },
    {
      name: 'val',
      kind: 'i64',
      nullable: false,
      unit: '',
      description: 'per kind: latency, wait, run or delay time (ns), address or walk levels',
    },
  ],
};

export const DLT_TABLE: TableSpec = {
  name: 'dlt',
  description: 'DLT log messages written by guests or imported from DLT files.',
  columns: [
    {
      name: 'ts_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: 'true (virtual) time the log collector received the message (recorded runs: the hypervisor\'s console back-end; imported logs: the storage header time)',
    },
    {
      name: 'local_ts_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: "the sender's uptime when it logged the message (the DLT header timestamp, 0.1 ms resolution; recorded runs: the VM's clock without its steps, clock.uptime_ns)",
    },
    { name: 'vm', kind: 'i16', nullable: false, unit: '', description: 'VM, −1 for imported logs' },
    { name: 'ecu', kind: 'utf8', nullable: false, unit: '', description: 'ECU id' },
    { name: 'apid', kind: 'utf8', nullable: true, unit: '', description: 'application id' },
    { name: 'ctid', kind: 'utf8', nullable: true, unit: '', description: 'context id' },
    { name: 'session_id', kind: 'i32', nullable: true, unit: '', description: 'DLT session id' },
    {
      name: 'type',
      kind: 'enum',
      nullable: true,
      dictionary: DLT_TYPES,
      indexWidth: 'i8',
      enumTypeName: 'dlt_type',
      unit: '',
      description: 'message type (log, app_trace, nw_trace, control)',
    },
    {
      name: 'subtype',
      kind: 'utf8',
      nullable: true,
      unit: '',
      description: 'message subtype (the level name for log messages)',
    },
    {
      name: 'level',
      kind: 'enum',
      nullable: true,
      dictionary: DLT_LEVELS,
      indexWidth: 'i8',
      enumTypeName: 'dlt_level',
      unit: '',
      description: 'log level (fatal, error, warn, info, debug, verbose)',
    },
    {
      name: 'msg_counter',
      kind: 'i16',
      nullable: false,
      unit: '',
      description: 'DLT message counter (0..255, wraps)',
    },
    {
      name: 'verbose',
      kind: 'bool',
      nullable: false,
      unit: '',
      // VERBOSE is a DuckDB keyword (users had to write "verbose"): SQL sees `mode` with the
      // words dlt-viewer shows in its Mode column; the Arrow file keeps the bool (issue #7.5).
      sql: { name: 'mode', enumTypeName: 'dlt_mode', dictionary: ['non-verbose', 'verbose'] },
      description: "payload mode: 'verbose' (self-describing arguments) or 'non-verbose' (message id)",
    },
    { name: 'noar', kind: 'i16', nullable: false, unit: '', description: 'number of arguments' },
    {
      name: 'message_id',
      kind: 'i64',
      nullable: true,
      unit: '',
      description: 'message id (non-verbose mode)',
    },
    { name: 'payload', kind: 'utf8', nullable: false, unit: '', description: 'payload as text' },
    {
      name: 'payload_raw',
      kind: 'binary',
      nullable: false,
      unit: 'bytes',
      description: 'payload bytes as on the wire',
    },
    {
      name: 'lifecycle',
      kind: 'i32',
      nullable: false,
      unit: '',
      description: 'ECU lifecycle (boot) number',
    },
    {
      name: 'storage_ts_ns',
      kind: 'i64',
      nullable: true,
      unit: 'ns',
      description:
        'storage header time (Unix ns): when the collector stored the message; recorded runs ' +
        'fill it too (= ts_ns); raw streams imported with --raw: --start + 1 µs per message',
    },
    {
      name: 'htyp',
      kind: 'i16',
      nullable: true,
      unit: '',
      // Export needs it to write the message back as it was: the payload's byte order (MSBF)
      // and which optional header fields were present (WEID, WSID, WTMS).
      description:
        'standard header type byte: UEH 0x01, MSBF 0x02 (big-endian payload), WEID 0x04, ' +
        'WSID 0x08, WTMS 0x10, version << 5; imported logs: as received; NULL for recorded runs ' +
        '(their guests send 0x3d)',
    },
    {
      name: 'storage_ecu',
      kind: 'utf8',
      nullable: true,
      unit: '',
      description:
        "storage header's ECU id (imported logs; raw streams: the message's ECU id, else RECV " +
        'as dlt-receive writes; NULL for recorded runs)',
    },
  ],
};

export const CLOCK_TABLE: TableSpec = {
  name: 'clock',
  description: "Samples of each VM's clock against true (virtual) time.",
  columns: [
    {
      name: 'ts_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: 'true time of the sample',
    },
    { name: 'vm', kind: 'i16', nullable: false, unit: '', description: 'VM index' },
    {
      name: 'local_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: "the VM's clock reading",
    },
    {
      name: 'offset_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: 'local_ns − ts_ns',
    },
    {
      name: 'drift_ppb',
      kind: 'i64',
      nullable: false,
      unit: 'ppb',
      description: 'current drift rate of the VM clock',
    },
    {
      name: 'steal_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: "cumulative steal time of the VM's vCPUs",
    },
    // --- the uptime DLT stamps with (issue 11): local_ns without its steps
    {
      name: 'uptime_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: "the VM's uptime (CLOCK_MONOTONIC: its boot offset, drift and servo frequency adjustment, no steps), what its DLT messages are stamped with",
    },
  ],
};

export const INPUTS_TABLE: TableSpec = {
  name: 'inputs',
  description: 'Every input from the outside world, at the virtual time it entered (replay feed).',
  columns: [
    { name: 'ts_ns', kind: 'i64', nullable: false, unit: 'ns', description: 'virtual time' },
    { name: 'seq', kind: 'i64', nullable: false, unit: '', description: 'input sequence number' },
    { name: 'source', kind: 'utf8', nullable: false, unit: '', description: 'where it came from' },
    { name: 'kind', kind: 'utf8', nullable: false, unit: '', description: 'what kind of input' },
    { name: 'data', kind: 'binary', nullable: false, unit: 'bytes', description: 'input bytes' },
  ],
};

// --- clock sync (issue 11 §3): one row per servo update and per peer-delay exchange
// cantsyn and paravirt (issue 11 §2) are appended: gptp keeps its dictionary index 0.
export const SYNC_PROTOCOLS = ['gptp', 'cantsyn', 'paravirt'] as const;
export const SYNC_EXCHANGES = ['sync', 'pdelay'] as const;
export const SERVO_STATES = ['unlocked', 'step', 'locked'] as const;
const syncNs = (name: string, description: string, nullable = false): ColumnSpec =>
  ({ name, kind: 'i64', nullable, unit: 'ns', description });

export const SYNC_TABLE: TableSpec = {
  name: 'sync',
  description:
    'Clock synchronisation: one row per servo update (exchange sync: a gPTP Sync + Follow_Up, a ' +
    'CanTSyn SYNC + FUP, a paravirtual host-clock read) and per peer-delay exchange (exchange ' +
    'pdelay), with the ground truth a simulation knows.',
  columns: [
    syncNs('ts_ns', 'true time the client processed the exchange'),
    { name: 'vm', kind: 'i16', nullable: false, unit: '', description: 'VM index of the client' },
    { name: 'protocol', kind: 'enum', nullable: false, dictionary: SYNC_PROTOCOLS, indexWidth: 'u8', enumTypeName: 'sync_protocol', unit: '', description: 'gptp (IEEE 802.1AS), cantsyn (AUTOSAR CanTSyn), paravirt (host clock read through a call)' },
    { name: 'exchange', kind: 'enum', nullable: false, dictionary: SYNC_EXCHANGES, indexWidth: 'u8', enumTypeName: 'sync_exchange', unit: '', description: 'sync (Sync + Follow_Up) or pdelay (Pdelay_Req / Resp / Resp_Follow_Up)' },
    { name: 'seq', kind: 'i32', nullable: false, unit: '', description: 'gptp: PTP sequenceId; cantsyn: sequence counter 0..15; paravirt: read number' },
    syncNs('t1_ns', "sync: preciseOriginTimestamp (grandmaster's clock; cantsyn: the master's time at the SYNC's first bit, SYNC sec + OVS + FUP ns; paravirt: the host clock read); pdelay: Pdelay_Req sent (this clock)"),
    syncNs('t2_ns', 'sync: Sync / SYNC received (this clock; paravirt: this clock at the read); pdelay: Pdelay_Req received (responder)'),
    syncNs('t3_ns', 'pdelay: Pdelay_Resp sent (responder, corrections added); cantsyn: FUP received (this clock); NULL for gptp / paravirt sync', true),
    syncNs('t4_ns', 'pdelay: Pdelay_Resp received (this clock); NULL for sync', true),
    syncNs('correction_ns', 'correctionField sum (sync: Sync + Follow_Up, a bridge\'s residence and upstream delay)'),
    syncNs('offset_ns', 'sync: measured offset t2 − t1 − correction − path delay (cantsyn, paravirt: t2 − t1); NULL for pdelay', true),
    syncNs('path_delay_ns', 'mean path delay after the median filter (NULL before the first exchange)', true),
    { name: 'rate_ratio_ppb', kind: 'i64', nullable: false, unit: 'ppb', description: 'gptp: neighbour rate ratio − 1; cantsyn: the rate error measured over the last two syncs; paravirt: 0' },
    { name: 'state', kind: 'enum', nullable: false, dictionary: SERVO_STATES, indexWidth: 'u8', enumTypeName: 'servo_state', unit: '', description: 'servo state after the update: unlocked, step (the clock was stepped), locked' },
    { name: 'freq_adj_ppb', kind: 'i64', nullable: false, unit: 'ppb', description: "the servo's frequency adjustment of this clock after the update" },
    syncNs('true_offset_ns', 'ground truth: this clock − true time, at ts_ns'),
    syncNs('error_ns', "ground truth: this clock − the grandmaster's (cantsyn: the master's; paravirt: true time) at ts_ns (before the update)"),
    // --- the uptime behind each sync (issue 11 §3, dlt/timeline): DLT stamps with the uptime
    syncNs('uptime_ns', "sync: this VM's uptime (the clock without its steps, what DLT stamps) at the moment t2 was read; NULL for pdelay", true),
    { name: 'master_vm', kind: 'i16', nullable: false, unit: '', description: "VM index of the clock this one synchronises to (gptp: the grandmaster; cantsyn: the master; −1: the hypervisor's clock, true time, for paravirt)" },
    // --- CanTSyn ECU slaves (issue 11): a client that is an external ECU has vm −1 and its name here
    { name: 'ecu', kind: 'utf8', nullable: true, unit: '', description: 'the client when it is an external ECU (a CanTSyn slave, scenario ecus[].name; vm is then −1); NULL for a VM' },
  ],
};

// --- frames table (issue 12 §1) -------------------------------------------------------------------
/** `frames.kind` codes (assembly/trace/frames-ring.ts FR_KIND_*). */
export const FRAME_KINDS = ['eth', 'can'] as const;
/** `frames.dir` codes (FR_DIR_*): an Ethernet link's two directions, and a CAN bus. */
export const FRAME_DIRS = ['to_switch', 'from_switch', 'bus'] as const;

export const FRAMES_TABLE: TableSpec = {
  name: 'frames',
  description:
    'Every Ethernet and CAN frame as it crossed the interconnect: one row per transmission on one ' +
    'link direction or bus, so a frame VM -> switch -> VM has two rows (to_switch on the sender\'s ' +
    'link, from_switch on the receiver\'s); a CAN frame has one (every node hears it). Empty when ' +
    'recorded with --no-frames (the manifest says frames: off).',
  columns: [
    {
      name: 'ts_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: 'start of transmission on this link direction or bus (the first bit: what a NIC capture shows)',
    },
    {
      name: 'arrival_ns',
      kind: 'i64',
      nullable: false,
      unit: 'ns',
      description: 'when the last bit reaches the far end (Ethernet: + serialisation + link latency; CAN: + frame duration)',
    },
    {
      name: 'seq',
      kind: 'i64',
      nullable: false,
      unit: '',
      description: 'seq of the events row of the same transmission (link_tx or can_tx): join on it',
    },
    {
      name: 'kind',
      kind: 'enum',
      nullable: false,
      dictionary: FRAME_KINDS,
      indexWidth: 'u8',
      enumTypeName: 'frame_kind',
      unit: '',
      description: 'eth or can',
    },
    { name: 'link', kind: 'i16', nullable: false, unit: '', description: `Ethernet link index, ${NA}` },
    { name: 'bus', kind: 'i16', nullable: false, unit: '', description: `CAN bus index, ${NA}` },
    { name: 'port', kind: 'i16', nullable: false, unit: '', description: `switch port of the link, ${NA}` },
    {
      name: 'dir',
      kind: 'enum',
      nullable: false,
      dictionary: FRAME_DIRS,
      indexWidth: 'u8',
      enumTypeName: 'frame_dir',
      unit: '',
      description: 'to_switch (device or host end -> switch), from_switch, or bus (CAN)',
    },
    {
      name: 'vm',
      kind: 'i16',
      nullable: false,
      unit: '',
      description: `Ethernet: VM of the link's device end; CAN: the sending VM; ${NA} (external hosts and ECUs)`,
    },
    {
      name: 'dev',
      kind: 'i16',
      nullable: false,
      unit: '',
      description: `Ethernet: the link's device end; CAN: the sending device; ${NA}`,
    },
    { name: 'len', kind: 'i32', nullable: false, unit: 'bytes', description: 'bytes in data' },
    {
      name: 'can_id',
      kind: 'i32',
      nullable: false,
      unit: '',
      description: `CAN identifier (11 or 29 bits, no flag bits), ${NA}`,
    },
    {
      name: 'can_flags',
      kind: 'i16',
      nullable: false,
      unit: '',
      description: 'CAN flags: 1 ext (29-bit id), 2 rtr, 4 fd, 8 brs, 16 esi; 0 for Ethernet',
    },
    { name: 'dlc', kind: 'i16', nullable: false, unit: '', description: `CAN data length code, ${NA}` },
    {
      name: 'data',
      kind: 'binary',
      nullable: false,
      unit: 'bytes',
      description: 'Ethernet: the whole frame as a NIC captures it (destination MAC, source MAC, ethertype, payload; no FCS); CAN: the data bytes',
    },
  ],
};

export const TABLES: { readonly [K in TableName]: TableSpec } = {
  events: EVENTS_TABLE,
  dlt: DLT_TABLE,
  clock: CLOCK_TABLE,
  inputs: INPUTS_TABLE,
  sync: SYNC_TABLE,
  frames: FRAMES_TABLE, // --- frames table (issue 12 §1)
};

// Arrow dictionary ids are per stream; fixed ids (not apache-arrow's global counter) keep the
// schema bytes identical between runs (principle 1).
export const DICTIONARY_IDS: Readonly<Record<string, number>> = {
  kind: 0, type: 0, level: 1,
  protocol: 0, exchange: 1, state: 2, // --- sync table (issue 11)
  dir: 1, // --- frames table (issue 12 §1): with kind 0
};

/** The column's name in SQL (the Arrow name unless the spec gives another). */
export function sqlColumnName(column: ColumnSpec): string {
  return column.sql?.name ?? column.name;
}

/** The ENUM types SQL sees: the enum columns' and the bool columns mapped to one (`mode`). */
export function sqlEnumTypes(): { name: string; values: readonly string[] }[] {
  const seen = new Map<string, readonly string[]>();
  for (const table of TABLE_NAMES) {
    for (const column of TABLES[table].columns) {
      if (column.kind === 'enum') seen.set(column.enumTypeName!, column.dictionary!);
      if (column.sql) seen.set(column.sql.enumTypeName, column.sql.dictionary);
    }
  }
  return [...seen].map(([name, values]) => ({ name, values }));
}

/** DuckDB column type; enum columns use the named ENUM type created by duckdbEnumTypesSql(). */
export function duckdbType(column: ColumnSpec): string {
  if (column.sql) return column.sql.enumTypeName;
  switch (column.kind) {
    case 'i16':
      return 'SMALLINT';
    case 'i32':
      return 'INTEGER';
    case 'i64':
      return 'BIGINT';
    case 'bool':
      return 'BOOLEAN';
    case 'utf8':
      return 'VARCHAR';
    case 'binary':
      return 'BLOB';
    case 'enum':
      assertEnum(column);
      return column.enumTypeName!;
  }
}

function quoteSqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** CREATE TYPE statements for every enum of every table, each once, in a stable order. */
export function duckdbEnumTypesSql(): string[] {
  return sqlEnumTypes().map(
    ({ name, values }) => `CREATE TYPE ${name} AS ENUM (${values.map(quoteSqlString).join(', ')})`,
  );
}

export function duckdbCreateTableSql(table: TableName): string {
  const columns = TABLES[table].columns.map((c) => {
    const notNull = c.nullable ? '' : ' NOT NULL';
    return `"${sqlColumnName(c)}" ${duckdbType(c)}${notNull}`;
  });
  return `CREATE TABLE ${table} (${columns.join(', ')})`;
}

export function assertEnum(column: ColumnSpec): void {
  if (column.kind !== 'enum') throw new Error(`column ${column.name} is not an enum`);
  if (!column.dictionary || !column.indexWidth || !column.enumTypeName) {
    throw new Error(`enum column ${column.name} lacks its dictionary, width or type name`);
  }
  // Codes must fit the index type (a DuckDB ENUM of <= 256 values is stored as UTINYINT too).
  const max = column.indexWidth === 'u8' ? 256 : 128;
  if (column.dictionary.length > max) {
    throw new Error(`enum column ${column.name} has more values than its index type holds`);
  }
}

/** Column docs as Markdown tables, one section per table (README, `--help`). */
export function describeTablesMarkdown(): string {
  const out: string[] = [];
  for (const name of TABLE_NAMES) {
    const spec = TABLES[name];
    out.push(`### \`${name}\``, '', spec.description, '');
    out.push('| column | type | unit | description |', '|---|---|---|---|');
    for (const c of spec.columns) {
      const type = duckdbType(c) + (c.nullable ? ' (nullable)' : '');
      const file = c.sql ? ` (in the Arrow file: bool \`${c.name}\`)` : '';
      out.push(`| ${sqlColumnName(c)} | ${type} | ${c.unit} | ${c.description}${file} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** Column docs as plain text (terminal help): `table.column  TYPE  description (unit)`. */
export function describeTablesText(): string {
  const out: string[] = [];
  for (const name of TABLE_NAMES) {
    const spec = TABLES[name];
    out.push(`${name}: ${spec.description}`);
    const width = Math.max(...spec.columns.map((c) => sqlColumnName(c).length));
    for (const c of spec.columns) {
      const unit = c.unit ? ` (${c.unit})` : '';
      const nullable = c.nullable ? ', nullable' : '';
      const name = sqlColumnName(c).padEnd(width);
      out.push(`  ${name}  ${duckdbType(c)}${nullable}  ${c.description}${unit}`);
    }
    out.push('');
  }
  return out.join('\n');
}
