// Streaming result writers: an aligned text table (default), CSV (RFC 4180), a JSON array or
// JSON lines. Each takes the DuckDB result chunk by chunk (2048 rows) and writes as it goes, so
// any number of rows prints in bounded memory (the first printer read whole results and built
// one string: "Maximum call stack size exceeded" at ~124 000 rows, "Invalid string length" on
// 20 M rows, issue #7). The table needs the rows to size its columns, so it keeps a bounded
// window (the rows it shows, capped by --limit) and only counts the rest.

import type { DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';
import { releaseDroppedChunks } from './native-memory.js';
import { isNumericType, jsonText, valueText } from './values.js';

export const OUTPUT_FORMATS = ['table', 'csv', 'json', 'jsonl'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Table output shows at most this many rows unless --limit says otherwise (0 = all). */
export const TABLE_ROWS_DEFAULT = 1000;
/** With no cap, the table is printed in windows of this many rows, each sized on its own rows. */
export const TABLE_WINDOW_ROWS = 1000;
/** A table cell is cut at this many characters (the full value: --format csv or json). */
export const CELL_CHARS_MAX = 1000;
/** Chunks counted past the table's cap between two collections (see native-memory.ts). */
const DRAINED_CHUNKS_PER_GC = 64;
/** NULL's spelling in tables; a text value is never printed bare like this (see tableCell). */
export const TABLE_NULL = '∅';

/** Where the text goes; `write` may return a promise to apply backpressure. */
export interface Sink {
  write(text: string): void | Promise<void>;
}

/** The part of a DuckDB result the writers read (DuckDBResult has it). */
export interface ChunkSource {
  columnNames(): string[];
  /** Names made unique (a, a:1): JSON objects cannot repeat a key. */
  deduplicatedColumnNames?(): string[];
  columnTypes(): DuckDBType[];
  fetchChunk(): Promise<DuckDBDataChunk | null>;
}

export interface WriteOptions {
  format: OutputFormat;
  /** Table rows shown; 0 = no cap. Ignored by csv/json, which always write every row. */
  rowsMax?: number;
}

export interface WriteSummary {
  rows: number;
  rowsShown: number;
}

/** Writes a whole result, chunk by chunk; returns how many rows there were and were shown. */
export async function writeResult(source: ChunkSource, sink: Sink, options: WriteOptions): Promise<WriteSummary> {
  const json = options.format === 'json' || options.format === 'jsonl';
  const names = json && source.deduplicatedColumnNames ? source.deduplicatedColumnNames() : source.columnNames();
  const writer = createWriter(options, names, source.columnTypes(), sink);
  for (;;) {
    const chunk = await source.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    await writer.chunk(chunk);
  }
  return writer.end();
}

interface Writer {
  chunk(chunk: DuckDBDataChunk): Promise<void>;
  end(): Promise<WriteSummary>;
}

function createWriter(options: WriteOptions, names: string[], types: DuckDBType[], sink: Sink): Writer {
  switch (options.format) {
    case 'table':
      return new TableWriter(names, types, sink, options.rowsMax ?? TABLE_ROWS_DEFAULT);
    case 'csv':
      return new CsvWriter(names, types, sink);
    case 'json':
    case 'jsonl':
      return new JsonWriter(names, types, sink, options.format === 'jsonl');
  }
}

/** Text values in a chunk, column by column (each getColumnValues call converts one vector). */
function chunkColumns(chunk: DuckDBDataChunk): ReturnType<DuckDBDataChunk['getColumnValues']>[] {
  const columns = [];
  for (let c = 0; c < chunk.columnCount; c++) columns.push(chunk.getColumnValues(c));
  return columns;
}

// ---- table ---------------------------------------------------------------------------------

class TableWriter implements Writer {
  private readonly widths: number[];
  private readonly numeric: boolean[];
  private window: string[][] = [];
  private rows = 0;
  private rowsShown = 0;
  private chunksDrained = 0;
  private cut = false;
  private headerWritten = false;

  constructor(
    private readonly names: string[],
    private readonly types: DuckDBType[],
    private readonly sink: Sink,
    private readonly rowsMax: number,
  ) {
    this.widths = names.map((n) => displayWidth(tableCell(n)));
    this.numeric = types.map(isNumericType);
  }

  async chunk(chunk: DuckDBDataChunk): Promise<void> {
    const rowCount = chunk.rowCount; // a native call: read it once
    const wanted = this.rowsMax === 0 ? rowCount : Math.min(rowCount, this.rowsMax - this.rowsShown);
    this.rows += rowCount;
    if (wanted <= 0) {
      // past the cap: counted, not converted
      if (++this.chunksDrained % DRAINED_CHUNKS_PER_GC === 0) releaseDroppedChunks();
      return;
    }
    const columns = chunkColumns(chunk);
    for (let r = 0; r < wanted; r++) {
      const cells: string[] = [];
      for (let c = 0; c < columns.length; c++) cells.push(this.cell(valueText(columns[c]![r]!, this.types[c]!)));
      this.window.push(cells);
      if (this.window.length >= TABLE_WINDOW_ROWS) await this.flush();
    }
    this.rowsShown += wanted;
  }

  private cell(text: string | null): string {
    if (text === null) return TABLE_NULL;
    if (text.length > CELL_CHARS_MAX) {
      this.cut = true;
      const high = text.charCodeAt(CELL_CHARS_MAX - 1);
      const end = high >= 0xd800 && high <= 0xdbff ? CELL_CHARS_MAX - 1 : CELL_CHARS_MAX; // keep pairs whole
      return `${tableCell(text.slice(0, end))}…`;
    }
    return tableCell(text);
  }

  /** Prints the window; widths only grow, so later windows stay aligned with earlier ones when they can. */
  private async flush(): Promise<void> {
    for (const row of this.window) {
      for (let c = 0; c < row.length; c++) this.widths[c] = Math.max(this.widths[c]!, displayWidth(row[c]!));
    }
    let out = '';
    if (!this.headerWritten) {
      out += this.line(this.names.map(tableCell), true) + '\n';
      out += this.widths.map((w) => '-'.repeat(w)).join('  ') + '\n';
      this.headerWritten = true;
    }
    for (const row of this.window) out += this.line(row, false) + '\n';
    this.window = [];
    await this.sink.write(out);
  }

  private line(values: string[], isHeader: boolean): string {
    const parts: string[] = [];
    for (let i = 0; i < values.length; i++) {
      const pad = ' '.repeat(Math.max(0, this.widths[i]! - displayWidth(values[i]!)));
      parts.push(this.numeric[i] && !isHeader ? pad + values[i]! : values[i]! + pad);
    }
    return parts.join('  ').trimEnd();
  }

  async end(): Promise<WriteSummary> {
    await this.flush();
    await this.sink.write(this.footer());
    return { rows: this.rows, rowsShown: this.rowsShown };
  }

  private footer(): string {
    const noun = (n: number): string => `${n} ${n === 1 ? 'row' : 'rows'}`;
    const lines: string[] = [];
    if (this.rowsShown < this.rows) {
      const hidden = this.rows - this.rowsShown;
      lines.push(
        `(${noun(this.rows)}; first ${this.rowsShown} shown, ${hidden} not shown: ` +
          '--limit N or --limit 0 for more, --format csv for all)',
      );
    } else lines.push(`(${noun(this.rows)})`);
    if (this.cut) {
      lines.push(`(values longer than ${CELL_CHARS_MAX} characters were cut at …; --format csv or json prints them whole)`);
    }
    return lines.join('\n') + '\n';
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const NEEDS_ESCAPE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * A text cell made safe and unambiguous on a terminal: line breaks become ⏎ (a row stays one
 * line), every other C0/C1 control, DEL and the bidi overrides become \xNN / \uNNNN (a hostile
 * DLT payload must not move the cursor or recolour the terminal: ESC [ … is a command), and a
 * value spelled like the NULL marker gets a backslash so NULL stays visibly distinct.
 */
export function tableCell(text: string): string {
  if (text === TABLE_NULL) return `\\${TABLE_NULL}`;
  if (!NEEDS_ESCAPE.test(text)) return text; // the common case: one scan, no copies
  return text.replace(/\r?\n/g, '⏎').replace(CONTROL, (ch) => {
    const code = ch.charCodeAt(0);
    if (code === 0x09) return '\\t';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const SURROGATE = /[\ud800-\udfff]/;

/** Display width: code points (not UTF-16 units), good enough for the ASCII-heavy traces. */
function displayWidth(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

// ---- CSV -----------------------------------------------------------------------------------

/** A field longer than this is written on its own, in slices, never joined into a line. */
const FIELD_CHARS_INLINE_MAX = 1 << 20;

/**
 * RFC 4180: CRLF line ends; a field with a comma, quote, CR or LF is quoted, quotes doubled.
 * NULL is an empty field and '' is `""`, so the two stay distinct (what DuckDB's COPY writes).
 */
class CsvWriter implements Writer {
  private rows = 0;
  private pending = '';

  constructor(names: string[], private readonly types: DuckDBType[], private readonly sink: Sink) {
    this.pending = names.map(csvField).join(',') + '\r\n';
  }

  async chunk(chunk: DuckDBDataChunk): Promise<void> {
    const columns = chunkColumns(chunk);
    const rowCount = chunk.rowCount; // a native call: read it once
    for (let r = 0; r < rowCount; r++) {
      for (let c = 0; c < columns.length; c++) {
        if (c > 0) this.pending += ',';
        const text = valueText(columns[c]![r]!, this.types[c]!);
        if (text !== null && text.length > FIELD_CHARS_INLINE_MAX) await this.writeLong(text);
        else this.pending += text === null ? '' : csvField(text);
      }
      this.pending += '\r\n';
    }
    this.rows += rowCount;
    await this.drain();
  }

  private async writeLong(text: string): Promise<void> {
    await this.drain();
    const quoted = /[",\r\n]/.test(text);
    if (quoted) await this.sink.write('"');
    for (let at = 0; at < text.length; at += FIELD_CHARS_INLINE_MAX) {
      const slice = text.slice(at, at + FIELD_CHARS_INLINE_MAX);
      await this.sink.write(quoted ? slice.replaceAll('"', '""') : slice);
    }
    if (quoted) await this.sink.write('"');
  }

  private async drain(): Promise<void> {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    await this.sink.write(text);
  }

  async end(): Promise<WriteSummary> {
    await this.drain();
    return { rows: this.rows, rowsShown: this.rows };
  }
}

export function csvField(value: string): string {
  return value === '' || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

// ---- JSON ----------------------------------------------------------------------------------

/** A JSON array of objects keyed by column name, one object per line; or JSON lines. */
class JsonWriter implements Writer {
  private rows = 0;
  private readonly keys: string[];

  constructor(
    names: string[],
    private readonly types: DuckDBType[],
    private readonly sink: Sink,
    private readonly lines: boolean,
  ) {
    this.keys = names.map((n) => JSON.stringify(n));
  }

  async chunk(chunk: DuckDBDataChunk): Promise<void> {
    const columns = chunkColumns(chunk);
    let out = '';
    const rowCount = chunk.rowCount; // a native call: read it once
    for (let r = 0; r < rowCount; r++) {
      if (!this.lines) out += this.rows + r === 0 ? '[\n' : ',\n';
      let object = '{';
      for (let c = 0; c < columns.length; c++) {
        object += `${c > 0 ? ',' : ''}${this.keys[c]!}:${jsonText(columns[c]![r]!, this.types[c]!)}`;
      }
      out += object + (this.lines ? '}\n' : '}');
      if (out.length > FIELD_CHARS_INLINE_MAX) {
        await this.sink.write(out);
        out = '';
      }
    }
    this.rows += rowCount;
    await this.sink.write(out);
  }

  async end(): Promise<WriteSummary> {
    if (!this.lines) await this.sink.write(this.rows === 0 ? '[]\n' : '\n]\n');
    return { rows: this.rows, rowsShown: this.rows };
  }
}

// ---- sinks ---------------------------------------------------------------------------------

/** A Node stream as a sink: waits for 'drain' when the stream's buffer is full. */
export function streamSink(stream: NodeJS.WritableStream): Sink {
  return {
    write(text: string): void | Promise<void> {
      if (text === '' || stream.write(text)) return;
      return new Promise((resolve) => stream.once('drain', () => resolve()));
    },
  };
}

/** Collects the text (tests, and `demo`, which prints a few short results). */
export class StringSink implements Sink {
  private readonly parts: string[] = [];
  write(text: string): void {
    this.parts.push(text);
  }
  text(): string {
    return this.parts.join('');
  }
}
