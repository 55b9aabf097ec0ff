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
  FLUSH_SPAN_NS,
  ROWS_PER_BATCH_DEFAULT,
  type ClockRow,
  type DltRow,
  type InputRow,
  type Int64Input,
  type RecorderMeta,
  type RecorderOptions,
} from './recorder.js';
export { Trace, scanTableFile, type TableScan } from './reader.js';
export {
  checkTrace,
  openCheckedTrace,
  traceFingerprint,
  verify,
  type CheckedTrace,
  type ReadMode,
  type TableReport,
  type TraceCheck,
  type Verification,
} from './open.js';
export { readManifest, parseManifest, type Manifest, MANIFEST_FILE } from './manifest.js';
export { eventsBatch } from './events-batch.js';
