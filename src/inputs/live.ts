// Live input sources: candump lines over TCP (--can-input <bus>=tcp:<port>) and Ethernet
// payloads over UDP (--net-input <mac>=udp:<port>,to=<mac>). They know nothing in advance
// (nextNs() = Infinity); take() hands over what arrived since the last call, which the run loop
// stamps with the virtual time it has reached (src/platform/run-loop.ts). What arrives is never
// read by the simulation except through those input rows, so replay needs no socket.
// A bad line or datagram is skipped with one warning: a live run keeps going.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { CandumpSyntaxError, parseCandumpLine } from '../formats/candump.js';
import type { InputFeed, PendingInput } from '../platform/run-loop.js';
import type { ManifestInput } from '../trace/manifest-file.js';
import { canInputKind, encodeCanInput, encodeEthFrame, ETH_HEADER_BYTES } from './encoding.js';
import { InputSourceError } from './errors.js';

export interface LiveSource {
  feed: InputFeed;
  /** the port listened on (the one asked for, or the system's choice for port 0) */
  port: number;
  close(): Promise<void>;
}

export type Warn = (message: string) => void;

/** A line longer than this without a newline is not candump (the longest FD line is ~170). */
const LINE_BYTES_MAX = 4096;

function liveFeed(pending: PendingInput[]): InputFeed {
  return { nextNs: () => Infinity, take: () => pending.splice(0, pending.length) };
}

function listenError(input: ManifestInput, error: unknown): InputSourceError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new InputSourceError(`${input.flag} ${input.source}: cannot listen on ${input.host}:${input.port} (${code})`);
}

export async function listenCandumpTcp(input: ManifestInput, warn: Warn): Promise<LiveSource> {
  const pending: PendingInput[] = [];
  const sockets = new Set<Socket>();
  const take = (line: string, where: string): void => {
    if (line.trim() === '') return;
    try {
      const { frame } = parseCandumpLine(line);
      if (frame.type === 'fd') throw new CandumpSyntaxError(`a CAN FD frame, but bus ${input.bus} is classic CAN`);
      pending.push({ source: input.source, kind: canInputKind(frame), data: encodeCanInput(frame) });
    } catch (error) {
      if (!(error instanceof CandumpSyntaxError)) throw error;
      warn(`--can-input ${input.source}: ${where}: ${error.reason}; line ignored`);
    }
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let text = '';
    let lineNumber = 0;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        take(text.slice(0, nl).replace(/\r$/, ''), `${peer} line ${++lineNumber}`);
        text = text.slice(nl + 1);
      }
      if (text.length > LINE_BYTES_MAX) {
        warn(`--can-input ${input.source}: ${peer}: ${text.length} bytes without a newline; closing that connection`);
        socket.destroy();
      }
    });
    socket.on('end', () => take(text, `${peer} line ${++lineNumber}`));
    socket.on('error', () => {}); // a client that goes away is not the run's problem
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(input, error)));
    server.listen(input.port, input.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    feed: liveFeed(pending),
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function listenEthernetUdp(input: ManifestInput, frameBytesMax: number, warn: Warn): Promise<LiveSource> {
  const pending: PendingInput[] = [];
  const socket: UdpSocket = createSocket(isIPv6(input.host!) ? 'udp6' : 'udp4');
  const payloadBytesMax = frameBytesMax - ETH_HEADER_BYTES;
  socket.on('message', (payload, from) => {
    if (payload.length > payloadBytesMax) {
      warn(`--net-input ${input.source}: a ${payload.length}-byte datagram from ${from.address}:${from.port} (at most ${payloadBytesMax}); ignored`);
      return;
    }
    pending.push({ source: input.source, kind: 'eth_frame', data: encodeEthFrame(input.to!, input.mac!, payload) });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) => reject(listenError(input, error)));
    socket.bind(input.port, input.host, () => resolve());
  });
  return {
    feed: liveFeed(pending),
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
