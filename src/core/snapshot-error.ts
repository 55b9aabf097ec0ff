// A snapshot that cannot be restored (damaged, foreign, of another build or other limits): one
// line saying what is wrong and where (STYLE: "Our own"). Replay falls back to re-execution on it.

export type SnapshotErrorCode =
  /** Made by another core version, another core.wasm or other limits. */
  | 'snapshot_foreign'
  /** A file of the snapshot is missing, truncated, or fails its hash or size check. */
  | 'snapshot_damaged'
  /** The trace lists no snapshot by that id. */
  | 'snapshot_unknown';

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(
    readonly code: SnapshotErrorCode,
    message: string,
  ) {
    super(message);
  }
}
