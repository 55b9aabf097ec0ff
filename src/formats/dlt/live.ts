/**
 * DltLiveServer: serves the guests' log messages over TCP while a run goes, the way dlt-daemon
 * serves its clients (dlt-receive, dlt-viewer): each message as on the wire, standard header
 * first, no storage header. It is a PlatformSink passed to recordScenario() as `tee`.
 *
 * The simulation must not notice its clients (ARCHITECTURE principle 1): nothing a client does
 * reaches the platform (bytes clients send, e.g. dlt-viewer's control requests, are read and
 * dropped), and writes never wait: a message goes into each client's socket buffer, and a client
 * whose unsent bytes exceed `backlogBytesMax` (it reads too slowly, or has gone away) loses the
 * message instead; drops are counted per client. Sockets flush while the platform yields
 * (recordScenario's yieldEveryNs).
 *
 * Binding: loopback by default, on both ::1 and 127.0.0.1 (COVESA's dlt-receive on these
 * machines connects over IPv6, ::1; other tools resolve "localhost" to 127.0.0.1); an explicit
 * host binds that address only.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TraceColumns } from '../../core/api.js';
import type { PlatformSink } from '../../platform/sink.js';
import type { ClockRow, DltRow, InputRow } from '../../trace/recorder.js';

export interface DltLiveOptions {
  /** TCP port; 0 picks a free one (see `port` after start) */
  port: number;
  /** address to bind; default: loopback (::1 and 127.0.0.1) */
  host?: string;
  /** unsent bytes per client beyond which messages to it are dropped (default 1 MiB) */
  backlogBytesMax?: number;
}

export interface DltLiveStats {
  /** clients connected now */
  clients: number;
  /** connections accepted since start */
  connections: number;
  /** messages the platform produced */
  messages: number;
  /** message copies handed to client sockets */
  sent: number;
  /** message copies dropped because a client's backlog was full */
  dropped: number;
}

export const LIVE_BACKLOG_BYTES_DEFAULT = 1 << 20;
/** How long close() lets clients take their last bytes before it cuts them off. */
const CLOSE_DRAIN_MS = 2000;

class Client {
  dropped = 0;
  constructor(readonly socket: Socket) {}
}

export class DltLiveServer implements PlatformSink {
  private readonly clients = new Set<Client>();
  private readonly stats: DltLiveStats = { clients: 0, connections: 0, messages: 0, sent: 0, dropped: 0 };
  private closing = false;
  private closed: Promise<DltLiveStats> | null = null;

  private constructor(
    private readonly servers: Server[],
    readonly port: number,
    private readonly backlogBytesMax: number,
  ) {
    for (const server of servers) server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens; rejects with the system's error (EADDRINUSE …) if no address can be bound. */
  static async start(options: DltLiveOptions): Promise<DltLiveServer> {
    const backlog = options.backlogBytesMax ?? LIVE_BACKLOG_BYTES_DEFAULT;
    if (options.host !== undefined) {
      const server = await listen(options.port, options.host);
      return new DltLiveServer([server], (server.address() as AddressInfo).port, backlog);
    }
    // loopback: IPv6 first (port 0 picks the port), then IPv4 on the same port if possible
    const servers: Server[] = [];
    let port = options.port;
    let firstError: unknown = null;
    for (const host of ['::1', '127.0.0.1']) {
      try {
        const server = await listen(port, host);
        port = (server.address() as AddressInfo).port;
        servers.push(server);
      } catch (error) {
        firstError ??= error;
      }
    }
    if (servers.length === 0) throw firstError;
    return new DltLiveServer(servers, port, backlog);
  }

  /** Where it listens, e.g. ["[::1]:3490", "127.0.0.1:3490"]. */
  get addresses(): string[] {
    return this.servers.map((s) => {
      const a = s.address() as AddressInfo;
      return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
    });
  }

  /**
   * An address a client on this host connects to, as dlt-receive takes it (no brackets): the
   * first one bound (::1 when the loopback default got IPv6, else 127.0.0.1; an explicit host
   * as bound), a wildcard bind as that family's loopback. Issue #8: the hint said ::1 for an
   * IPv4-only bind.
   */
  get connectHost(): string {
    const a = this.servers[0]!.address() as AddressInfo;
    if (a.address === '0.0.0.0') return '127.0.0.1';
    if (a.address === '::') return '::1';
    return a.address;
  }

  get currentStats(): DltLiveStats {
    return { ...this.stats, clients: this.clients.size };
  }

  /** Resolves once `count` clients are connected (e.g. to start a run only when a viewer is). */
  waitForClients(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.clients.size >= count || this.closing) {
          for (const s of this.servers) s.off('connection', check);
          resolve();
        }
      };
      for (const s of this.servers) s.on('connection', check);
      check();
    });
  }

  events(_cols: TraceColumns, _count: number): void {}

  clock(_row: ClockRow): void {}
  input(_row: InputRow): void {}

  dlt(_row: DltRow, wire: Uint8Array): void {
    this.stats.messages++;
    if (this.clients.size === 0) return;
    // the sockets keep a reference until the bytes are out: give them a copy the platform
    // cannot reuse
    const bytes = Buffer.from(wire);
    for (const client of this.clients) {
      const socket = client.socket;
      if (socket.destroyed || socket.writableLength + bytes.length > this.backlogBytesMax) {
        client.dropped++;
        this.stats.dropped++;
        continue;
      }
      socket.write(bytes);
      this.stats.sent++;
    }
  }

  /**
   * Stops listening, lets every client take what is buffered for it (up to 2 s), then closes
   * the connections. Returns the final counts; calling it again returns the same.
   */
  close(): Promise<DltLiveStats> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<DltLiveStats> {
    this.closing = true;
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    const drained = [...this.clients].map((c) => endClient(c.socket));
    await Promise.all([...drained, ...closed]);
    const stats = this.currentStats;
    this.clients.clear();
    return stats;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const client = new Client(socket);
    this.clients.add(client);
    this.stats.connections++;
    socket.setNoDelay(true);
    socket.on('data', () => {}); // control requests from viewers: read, not answered
    socket.on('error', () => socket.destroy()); // a vanished client: ECONNRESET, EPIPE
    socket.on('close', () => this.clients.delete(client));
  }
}

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: a client that shuts its sending side right after connecting (nc -N,
    // dlt-receive on some builds) still reads; Node's default would end our side on its FIN
    // and the client would receive nothing (issue #8)
    const server = createServer({ allowHalfOpen: true });
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: host.includes(':') }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Half-closes after the buffered bytes, and destroys the socket if that takes too long. */
function endClient(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), CLOSE_DRAIN_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.end();
  });
}
