/**
 * The convenient, allocating way in: every message of a buffer as DltMessage objects plus the
 * damage statistics. Import paths that handle millions of messages use DltParser's frames.
 */
import type { DltMessage } from './types.js';
import { DltParser, type DltParserOptions, type DltParseStats } from './parser.js';

export interface DltParseResult {
  messages: DltMessage[];
  stats: DltParseStats;
}

export function parseMessages(bytes: Uint8Array, opts: DltParserOptions): DltParseResult {
  const parser = DltParser.over(bytes, opts);
  const messages: DltMessage[] = [];
  for (let f = parser.next(); f !== null; f = parser.next()) messages.push(f.toMessage());
  return { messages, stats: { ...parser.stats } };
}

/**
 * The first message of `bytes`, or null when there is none intact. Framing is detected: a
 * buffer starting with "DLT\x01" is read as a storage file, anything else as a TCP stream.
 */
export function parseMessage(bytes: Uint8Array, opts?: Partial<DltParserOptions>): DltMessage | null {
  const storage = bytes.length >= 4 && bytes[0] === 0x44 && bytes[1] === 0x4c && bytes[2] === 0x54 &&
    bytes[3] === 0x01;
  const framing = opts?.framing ?? (storage ? 'storage' : 'stream');
  const frame = DltParser.over(bytes, { framing }).next();
  return frame === null ? null : frame.toMessage();
}
