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
export { openCheckedTrace, traceFingerprint, READ_MODES, type ReadMode, type CheckedTrace } from './trace-source.js';
export { STORE_FILE, STORE_FILES, STORE_FORMAT_VERSION, storePaths } from './store.js';
export { indexTrace, type IndexResult } from './index-trace.js';
export {
  listNamedQueries,
  loadNamedQuery,
  parseNamedQuery,
  queriesDir,
  type NamedQuery,
  type NamedQueryColumn,
} from './named.js';
export {
  formatResult,
  formatTable,
  formatCsv,
  formatJson,
  jsonValue,
  OUTPUT_FORMATS,
  type OutputFormat,
} from './format.js';
