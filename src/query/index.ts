// Public API of the query package.
export { QueryError, type QueryErrorCode } from './errors.js';
export {
  QuerySession,
  type QueryParams,
  type QueryResult,
  type ResultColumn,
  type SessionOptions,
} from './session.js';
export { createTraceTables, loadTable, CHUNK_ROWS, type BatchSource, type TableLoad } from './load.js';
export { openCheckedTrace, traceFingerprint, READ_MODES, type ReadMode, type CheckedTrace } from '../trace/open.js';
export { STORE_FILE, STORE_FILES, STORE_FORMAT_VERSION, storePaths } from './store.js';
export { indexTrace, type IndexResult } from './index-trace.js';
export {
  listNamedQueries,
  loadNamedQuery,
  parseNamedQuery,
  resolveNamedQuery,
  listAllNamedQueries,
  isQueryPath,
  queriesDir,
  type NamedQuery,
  type NamedQueryColumn,
} from './named.js';
export {
  writeResult,
  streamSink,
  StringSink,
  tableCell,
  csvField,
  OUTPUT_FORMATS,
  TABLE_ROWS_DEFAULT,
  TABLE_NULL,
  CELL_CHARS_MAX,
  type OutputFormat,
  type Sink,
  type ChunkSource,
  type WriteOptions,
  type WriteSummary,
} from './format.js';
export { valueText, jsonText, floatText } from './values.js';
export { StatementRunner, QueryCancelled, type CancelReason, type RunOptions } from './statements.js';
export { splitStatements, endsStatement, type SplitResult } from './split.js';
export { installMacros, describeMacrosText, MACROS, DROP_REASONS, ENUM_NOTES, type MacroDoc } from './macros.js';
export { checkEnumLiterals } from './enum-literals.js';
