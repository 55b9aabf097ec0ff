// Headless Chromium driven over the DevTools protocol on a pipe, for test/report and the bench's
// report section (--remote-debugging-pipe: fd 3 carries our commands, fd 4 its replies and
// events, each a JSON text ended by a NUL byte), so a test can load a page and see what a user's browser would: console errors, uncaught
// exceptions, every network request, the DOM after the scripts ran, and a screenshot. Node 20
// has no WebSocket client, and the pipe needs none.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export function chromiumPath(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return null;
}

export interface PageVisit {
  /** console.error / console.warn calls, uncaught exceptions and browser log errors, as text. */
  errors: string[];
  /** Every URL the page asked for, the page itself excluded. */
  requests: string[];
  /** What `evaluate` returned (JSON-serialisable). */
  value: unknown;
  /** PNG of the viewport (or the full page), base64-decoded. */
  screenshot: Buffer;
  /** ms from navigation to the load event, then to `evaluate`'s result. */
  loadMs: number;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

class Cdp {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  readonly events: Message[] = [];
  private waiters: { method: string; resolve: (m: Message) => void }[] = [];

  constructor(private readonly input: Writable, output: Readable) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => this.receive(chunk));
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(this.buffer.slice(0, end)) as Message;
      this.buffer = this.buffer.slice(end + 1);
      if (message.id !== undefined) {
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) p?.reject(new Error(message.error.message));
        else p?.resolve(message);
        continue;
      }
      this.events.push(message);
      const ready = this.waiters.filter((w) => w.method === message.method);
      this.waiters = this.waiters.filter((w) => w.method !== message.method);
      for (const w of ready) w.resolve(message);
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> {
    const id = this.nextId++;
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  next(method: string): Promise<Message> {
    return new Promise((resolve) => this.waiters.push({ method, resolve }));
  }
}

/** Opens `url` in a fresh headless Chromium, waits for the load event, evaluates `expression`. */
export async function visit(
  browser: string,
  url: string,
  expression: string,
  options: { width?: number; height?: number; fullPage?: boolean; timeoutMs?: number } = {},
): Promise<PageVisit> {
  const profile = mkdtempSync(join(tmpdir(), 'tv-chromium-'));
  const child: ChildProcess = spawn(
    browser,
    ['--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe', `--user-data-dir=${profile}`,
      '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--metrics-recording-only', 'about:blank'],
    // its own process group: the browser's helper processes (renderer, GPU, crash handler) go
    // with it when the group is killed, and none keeps writing into the profile afterwards
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true },
  );
  const killGroup = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timeout = setTimeout(killGroup, options.timeoutMs ?? 60_000);
  try {
    const cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
    const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`chromium exited (${code})`))));
    const run = async (): Promise<PageVisit> => {
      const target = await cdp.send('Target.createTarget', { url: 'about:blank' });
      const attached = await cdp.send('Target.attachToTarget', { targetId: target.result!.targetId, flatten: true });
      const session = attached.result!.sessionId as string;
      for (const domain of ['Page', 'Runtime', 'Network', 'Log']) await cdp.send(`${domain}.enable`, {}, session);
      await cdp.send('Emulation.setDeviceMetricsOverride', { width: options.width ?? 1280, height: options.height ?? 900, deviceScaleFactor: 1, mobile: false }, session);
      const loaded = cdp.next('Page.loadEventFired');
      const start = performance.now();
      await cdp.send('Page.navigate', { url }, session);
      await loaded;
      const evaluated = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, session);
      const loadMs = performance.now() - start;
      const shot = await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: options.fullPage === true }, session);
      return {
        errors: errorsOf(cdp.events),
        requests: requestsOf(cdp.events, url),
        value: (evaluated.result!.result as { value?: unknown }).value,
        screenshot: Buffer.from(shot.result!.data as string, 'base64'),
        loadMs,
      };
    };
    const result = await Promise.race([run(), exited]);
    await cdp.send('Browser.close').catch(() => undefined);
    return result;
  } finally {
    clearTimeout(timeout);
    // the profile can be removed only once the browser has stopped writing into it: let
    // Browser.close finish for a moment, then kill whatever of the group is left
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (!exited) await new Promise((resolve) => { child.once('exit', resolve); setTimeout(resolve, 3000); });
    killGroup();
    await new Promise((resolve) => setTimeout(resolve, 100));
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

function errorsOf(events: Message[]): string[] {
  const errors: string[] = [];
  for (const e of events) {
    const p = e.params ?? {};
    if (e.method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify((p.exceptionDetails as object) ?? p)}`);
    if (e.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'warning' || p.type === 'assert')) {
      errors.push(`console.${p.type as string}: ${JSON.stringify(p.args)}`);
    }
    if (e.method === 'Log.entryAdded') {
      const entry = p.entry as { level: string; text: string };
      if (entry.level === 'error' || entry.level === 'warning') errors.push(`log ${entry.level}: ${entry.text}`);
    }
  }
  return errors;
}

function requestsOf(events: Message[], page: string): string[] {
  return events
    .filter((e) => e.method === 'Network.requestWillBeSent')
    .map((e) => (e.params!.request as { url: string }).url)
    .filter((u) => u !== page);
}
