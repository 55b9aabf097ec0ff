// Public API of the query package.
export { QueryError, type QueryErrorCode } from './errors.js';
export { QuerySession, type QueryParams, type QueryResult, type ResultColumn } from './session.js';
export { createTraceTables, loadTable, CHUNK_ROWS, type TableLoad } from './load.js';
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
