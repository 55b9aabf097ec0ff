// The message framing of an Arrow IPC stream, read from an untrusted file (Arrow columnar
// format, "Encapsulated message format"):
//   0xFFFFFFFF | int32 metadata size (a multiple of 8) | flatbuffer Message | body (bodyLength)
//   end of stream: 0xFFFFFFFF 0x00000000
// Every length read from the file is bounds-checked before it is used for a read or an
// allocation, so a lying length is a one-line reason, never a hang, a huge allocation or a
// "0 rows" answer. The cursor reads the file front to back once and can hash what it reads, so
// verification (hash + framing + validation) is one pass over the bytes.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ByteBuffer } from 'flatbuffers';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';

/** Our metadata is 0.4–2 KB (schema, dictionaries, a batch of ~20 columns); more is damage. */
export const METADATA_BYTES_MAX = 1024 * 1024;
/** Larger than any batch a recorder or an import writes (their batches are ≤ 64 Ki rows). */
export const BODY_BYTES_MAX = 2 ** 31 - 1;
const CONTINUATION = 0xffffffff;
const HASH_CHUNK_BYTES = 1024 * 1024;

/**
 * Reads a file front to back, optionally hashing every byte it passes (sha256). With
 * `readAheadBytes`, reads of the file fill a window of that size and small reads are served
 * from it: a walk of the small tables read each batch's 8-byte prefix, its metadata and its
 * body with three read(2)s (~4 µs each here), which measured 0.9 s of 2.5 s walking them 30
 * times (600 s cockpit: 2055 batches of 0.2–27 KB bodies); a body the window holds is returned
 * as a view of it (readReused). Every byte of the file is read from it once, in order, and
 * hashed as it is read.
 */
export class FileCursor {
  readonly size: number;
  position = 0;
  private readonly fd: number;
  private readonly hash: Hash | null;
  private closed = false;
  private scratch = new Uint8Array(0);
  /** The read-ahead: file bytes [windowStart, readPosition) are window[0, readPosition - windowStart). */
  private readonly window: Uint8Array;
  private windowStart = 0;
  /** Where the next read(2) starts. */
  private readPosition = 0;

  constructor(path: string, hashing: boolean, readAheadBytes = 0) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
    this.hash = hashing ? createHash('sha256') : null;
    this.window = new Uint8Array(readAheadBytes);
  }

  get remaining(): number {
    return this.size - this.position;
  }

  /** The next `length` bytes in a fresh (8-aligned) buffer, or null when fewer remain. */
  read(length: number): Uint8Array | null {
    if (length > this.remaining) return null;
    const bytes = new Uint8Array(length);
    this.fill(bytes);
    return bytes;
  }

  /**
   * The next `length` bytes in a buffer reused by the next read of any kind (null when fewer
   * remain): for a check that drops each batch before reading the next (no allocation, no GC
   * per batch). A view of the read-ahead window when it holds them at an 8-aligned place.
   */
  readReused(length: number): Uint8Array | null {
    if (length > this.remaining) return null;
    const at = this.position - this.windowStart;
    if (this.position + length <= this.readPosition && at % 8 === 0) {
      this.position += length;
      return this.window.subarray(at, at + length);
    }
    if (this.scratch.byteLength < length) {
      this.scratch = new Uint8Array(Math.max(length, this.scratch.byteLength * 2));
    }
    const bytes = this.scratch.subarray(0, length);
    this.fill(bytes);
    return bytes;
  }

  /** Reads the next `into.byteLength` bytes into a caller's buffer (which must fit them). */
  fill(into: Uint8Array): void {
    let done = this.takeAhead(into, 0);
    if (done === into.byteLength) return;
    // the window is used up: reading goes on from the position (after a skip without hashing,
    // the bytes skipped are not read)
    this.windowStart = this.position;
    this.readPosition = this.position;
    if (into.byteLength - done < this.window.byteLength) {
      this.readFile(this.window.subarray(0, Math.min(this.window.byteLength, this.remaining)));
      done = this.takeAhead(into, done);
    }
    if (done < into.byteLength) {
      this.readFile(into.subarray(done));
      this.position += into.byteLength - done;
    }
  }

  /** Moves past `length` bytes (reading them only when hashing). */
  skip(length: number): void {
    if (this.hash === null) {
      this.position += length;
      return;
    }
    const chunk = new Uint8Array(Math.min(HASH_CHUNK_BYTES, Math.max(length, 1)));
    let left = length;
    while (left > 0) {
      const part = left < chunk.byteLength ? chunk.subarray(0, left) : chunk;
      this.fill(part);
      left -= part.byteLength;
    }
  }

  /** Hashes whatever is left, closes the file, returns the hex digest (null when not hashing). */
  finish(): string | null {
    this.skip(this.remaining);
    this.close();
    return this.hash === null ? null : this.hash.digest('hex');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** Copies what the window holds of the next bytes into `into` from `at`; returns the new end. */
  private takeAhead(into: Uint8Array, at: number): number {
    const from = this.position - this.windowStart;
    const count = Math.min(into.byteLength - at, this.readPosition - this.position);
    if (count <= 0) return at;
    into.set(this.window.subarray(from, from + count), at);
    this.position += count;
    return at + count;
  }

  /** read(2) from readPosition until `into` is full, hashing what was read. */
  private readFile(into: Uint8Array): void {
    let done = 0;
    while (done < into.byteLength) {
      const n = readSync(this.fd, into, done, into.byteLength - done, this.readPosition + done);
      if (n === 0) throw new Error(`file shrank while reading at byte ${this.readPosition + done}`);
      done += n;
    }
    this.hash?.update(into);
    this.readPosition += into.byteLength;
  }
}

export interface MessageFrame {
  kind: 'message';
  byteOffset: number;
  /** Continuation marker, size and flatbuffer: the message's bytes before its body. */
  head: Uint8Array;
  message: FbMessage;
  bodyBytes: number;
}

/** What the next 8 bytes hold: a message, the end-of-stream marker, the file's end, or damage. */
export type Frame =
  | MessageFrame
  | { kind: 'eos'; byteOffset: number }
  | { kind: 'end'; byteOffset: number }
  | { kind: 'cut'; byteOffset: number; reason: string }
  | { kind: 'bad'; byteOffset: number; reason: string };

/**
 * Reads the next message's head (not its body: the caller reads or skips `bodyBytes`, which
 * are known to be in the file). A 'cut' frame is a file ending inside a message (killed
 * writer, or a length that points past the end); a 'bad' frame is bytes that cannot be a
 * message of ours.
 */
export function nextFrame(cursor: FileCursor): Frame {
  const byteOffset = cursor.position;
  if (cursor.remaining === 0) return { kind: 'end', byteOffset };
  const prefix = cursor.read(8);
  if (prefix === null) {
    return { kind: 'cut', byteOffset, reason: `file ends inside a message header at byte ${byteOffset}` };
  }
  const view = new DataView(prefix.buffer);
  if (view.getUint32(0, true) !== CONTINUATION) {
    return { kind: 'bad', byteOffset, reason: `no message marker at byte ${byteOffset}` };
  }
  const metadataBytes = view.getInt32(4, true);
  if (metadataBytes === 0) return { kind: 'eos', byteOffset };
  // Arrow pads the metadata so the body starts 8-aligned; our writers always do.
  if (metadataBytes < 0 || metadataBytes > METADATA_BYTES_MAX || metadataBytes % 8 !== 0) {
    return { kind: 'bad', byteOffset, reason: `bad message length ${metadataBytes} at byte ${byteOffset}` };
  }
  const metadata = cursor.read(metadataBytes);
  if (metadata === null) {
    return { kind: 'cut', byteOffset, reason: `file ends inside the message at byte ${byteOffset}` };
  }
  return messageFrame(cursor, byteOffset, prefix, metadata);
}

function messageFrame(cursor: FileCursor, byteOffset: number, prefix: Uint8Array, metadata: Uint8Array): Frame {
  let message: FbMessage;
  let bodyLength: bigint;
  try {
    message = FbMessage.getRootAsMessage(new ByteBuffer(metadata));
    bodyLength = message.bodyLength();
    if (message.version() < MetadataVersion.V4 || message.version() > MetadataVersion.V5) {
      return { kind: 'bad', byteOffset, reason: `unknown metadata version at byte ${byteOffset}` };
    }
  } catch {
    return { kind: 'bad', byteOffset, reason: `unreadable message metadata at byte ${byteOffset}` };
  }
  if (bodyLength < 0n || bodyLength > BigInt(BODY_BYTES_MAX) || bodyLength % 8n !== 0n) {
    return { kind: 'bad', byteOffset, reason: `bad body length ${bodyLength} at byte ${byteOffset}` };
  }
  const bodyBytes = Number(bodyLength);
  if (bodyBytes > cursor.remaining) {
    const reason =
      `file ends inside the message at byte ${byteOffset} ` +
      `(its body needs ${bodyBytes} bytes, ${cursor.remaining} remain)`;
    return { kind: 'cut', byteOffset, reason };
  }
  const head = new Uint8Array(8 + metadata.byteLength);
  head.set(prefix, 0);
  head.set(metadata, 8);
  return { kind: 'message', byteOffset, head, message, bodyBytes };
}
