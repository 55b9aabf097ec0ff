// Public API of the trace package: schema, recorder, reader, manifest.
export { TraceError, type TraceErrorCode } from './errors.js';
export {
  TABLES,
  TABLE_NAMES,
  DLT_TYPES,
  arrowSchema,
  describeTablesMarkdown,
  describeTablesText,
  duckdbType,
  type ColumnSpec,
  type DltType,
  type TableName,
  type TableSpec,
} from './schema.js';
export {
  Recorder,
  ROWS_PER_BATCH_DEFAULT,
  type ClockRow,
  type DltRow,
  type InputRow,
  type Int64Input,
  type RecorderMeta,
  type RecorderOptions,
} from './recorder.js';
export { Trace, verify, scanTableFile, type TableScan, type Verification } from './reader.js';
export { readManifest, parseManifest, type Manifest, MANIFEST_FILE } from './manifest.js';
export { eventsBatch } from './events-batch.js';
