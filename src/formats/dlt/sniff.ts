/**
 * What a DLT input looks like from its first bytes, so the import can say "this is a raw
 * stream, use --raw" instead of importing 0 messages (issue #8): a storage file starts with
 * the storage marker "DLT\x01"; a raw stream (dlt-daemon's TCP output, record --dlt-port's)
 * starts with a standard header, or a "DLS\x01" serial header and then one.
 */
import { headerSize, HTYP_VERSION_SHIFT, PROTOCOL_VERSION, SERIAL_MARKER, STORAGE_MARKER } from './protocol.js';

export type DltInputKind = 'storage' | 'stream' | 'unknown';

/** Bytes worth reading to decide: two standard headers of plausible messages fit in most. */
export const SNIFF_BYTES = 4096;

export function sniffDltInput(head: Uint8Array): DltInputKind {
  if (startsWith(head, 0, STORAGE_MARKER)) return 'storage';
  const at = startsWith(head, 0, SERIAL_MARKER) ? SERIAL_MARKER.length : 0;
  const length = plausibleLength(head, at);
  if (length === 0) return 'unknown';
  // a second message right after the first (or the input ends there): not a chance match
  const next = at + length;
  if (next >= head.length) return next === head.length ? 'stream' : 'unknown';
  const after = startsWith(head, next, SERIAL_MARKER) ? next + SERIAL_MARKER.length : next;
  return plausibleLength(head, after) > 0 || head.length - after < 4 ? 'stream' : 'unknown';
}

/** The standard header's length at `at` if it is plausible (version 1, covers its headers), else 0. */
function plausibleLength(b: Uint8Array, at: number): number {
  if (at + 4 > b.length) return 0;
  const htyp = b[at]!;
  const length = (b[at + 2]! << 8) | b[at + 3]!;
  if (htyp >>> HTYP_VERSION_SHIFT !== PROTOCOL_VERSION || length < headerSize(htyp)) return 0;
  return length;
}

function startsWith(b: Uint8Array, at: number, pattern: Uint8Array): boolean {
  if (at + pattern.length > b.length) return false;
  for (let i = 0; i < pattern.length; i++) if (b[at + i] !== pattern[i]) return false;
  return true;
}
