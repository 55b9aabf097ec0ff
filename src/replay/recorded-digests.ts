// The recording's events and frames batches, checked by the core's digests alone (issue 9's
// 1.2x target): digests.ndjson gives each batch's `core` digest (assembly/trace/columns-digest.ts,
// taken by the recorder from the same columns), and identity.json says the table files are the
// ones the recorder wrote (src/trace/file-identity.ts), so the replay neither reads them back nor
// hashes them. A batch whose digest differs is left to the verifier, which reads the recorded
// batch then to name the first divergent row (verify.ts onBatch); a trace without `core` digests
// or with changed files is compared byte for byte (recorded-events.ts).
//
// Measured (10 s cockpit, 44 MB of events and frames): reading and comparing the files was
// ~0.14x of recording off's CPU in a replay; the core's digests of the same columns ~5 ms.

import type { ColumnsDigester } from '../core/api.js';
import type { BatchDigest } from './digest-file.js';
import type { ColumnTable } from './recorded-events.js';

/**
 * A frames batch differed while the replay's ring kept only each frame's hash (no bytes to show
 * the row with): replayTrace runs the replay again keeping them (the run is deterministic).
 */
export class FrameBytesNeeded extends Error {
  override readonly name = 'FrameBytesNeeded';
}

export class RecordedColumnDigests {
  private next = 0;
  /**
   * The replay's frames ring keeps the frames' bytes (Core.framesKeepBytes). False: a batch
   * that differs cannot be shown, and matchesNext throws FrameBytesNeeded instead.
   */
  bytesKept = true;

  constructor(
    /** The table file the digests vouch for (while its identity holds: file-identity.ts). */
    readonly path: string,
    readonly table: ColumnTable,
    private readonly recorded: readonly BatchDigest[],
    /** The replaying core's digest (bound once the platform exists). */
    private readonly digest: ColumnsDigester['columnsDigest'],
  ) {}

  /** The next recorded batch has `count` rows and the core's digest of the replayed columns. */
  matchesNext(_cols: unknown, count: number): boolean {
    const recorded = this.recorded[this.next++];
    const matches = recorded !== undefined && recorded.rows === count && recorded.core === this.digest(this.table, count);
    if (!matches && !this.bytesKept) throw new FrameBytesNeeded(`frames batch ${this.next - 1} differs; its bytes were not kept`);
    return matches;
  }

  /** Every batch of `batches` has a core digest (a trace recorded before them has none). */
  static cover(recorded: readonly BatchDigest[], batches: number): boolean {
    return recorded.length === batches && recorded.every((d) => d.core !== undefined);
  }
}
