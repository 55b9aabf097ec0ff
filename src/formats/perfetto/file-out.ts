// Buffered, synchronous output to a temporary file beside the target, renamed over it only when
// the export finished (a failed or interrupted export leaves no half file under the name).

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

const BUFFER_BYTES = 1 << 20;

export class FileOut {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private readonly temp: string;
  bytes = 0;

  constructor(private readonly path: string) {
    this.temp = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.temp, 'w');
  }

  write(bytes: Uint8Array): void {
    if (bytes.length > BUFFER_BYTES - this.used) this.flush();
    if (bytes.length > BUFFER_BYTES) writeSync(this.fd, bytes);
    else {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.bytes += bytes.length;
  }

  writeText(text: string): void {
    if (text.length * 3 > BUFFER_BYTES - this.used) this.flush();
    if (text.length * 3 > BUFFER_BYTES) {
      const bytes = Buffer.from(text, 'utf8');
      writeSync(this.fd, bytes);
      this.bytes += bytes.length;
      return;
    }
    const n = this.buf.write(text, this.used, 'utf8');
    this.used += n;
    this.bytes += n;
  }

  /** Flushes, closes and renames the file to its name. */
  commit(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.temp, this.path);
  }

  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.temp, { force: true });
  }

  private flush(): void {
    let at = 0;
    while (at < this.used) at += writeSync(this.fd, this.buf, at, this.used - at);
    this.used = 0;
  }
}
