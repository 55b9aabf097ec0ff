// Runs COVESA's dlt-convert for the interop tests. Tests that need it skip with a reason when it
// is not installed, except under CI (CI=true), where the tool is required and they fail.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DLT_CONVERT_MISSING =
  'dlt-convert is not installed (Debian package dlt-tools: apt-get install -y dlt-tools)';

export const dltConvertInstalled: boolean =
  spawnSync('sh', ['-c', 'command -v dlt-convert'], { stdio: 'ignore' }).status === 0;

/** Skips the test (with the reason) when dlt-convert is missing; under CI, fails instead. */
export function requireDltConvert(ctx: { skip: (condition: boolean, note?: string) => void }): void {
  if (dltConvertInstalled) return;
  if (process.env.CI === 'true') throw new Error(`${DLT_CONVERT_MISSING}; CI must install it`);
  ctx.skip(true, DLT_CONVERT_MISSING);
}

/**
 * The warning lines libdlt's dlt_vlog writes to stdout in the middle of dlt-convert's output
 * ("[  876.349941]~DLT~12479~WARNING  ~…"; the pid is padded to 5 places: "~DLT~ 1589~"): not part of the message.
 */
const DLT_VLOG_LINE = /\[\s*\d+\.\d+\]~DLT~\s*\d+~[A-Z]+\s*~[^\n]*\n/g;

/** `TZ=UTC dlt-convert -a` of the given file contents, as text, without libdlt's log lines. */
export function dltConvertAscii(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'tracevisor-dlt-'));
  try {
    const path = join(dir, 'input.dlt');
    writeFileSync(path, bytes);
    return execFileSync('dlt-convert', ['-a', path], {
      env: { ...process.env, TZ: 'UTC' }, maxBuffer: 256 << 20,
    }).toString('utf8').replace(DLT_VLOG_LINE, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits one `dlt-convert -a` line into its fields (the payload may contain anything). */
export function splitConvertLine(line: string) {
  const m = /^(\d+) (\S+ \S+) (.{10}) (\d{3,}) (\S{4}) (\S{4}) (\S{4}) (\S*) (\S*) ([VN]) (\S+) \[(.*)\]$/s.exec(line);
  if (m === null) throw new Error(`unexpected dlt-convert line: ${JSON.stringify(line)}`);
  const [, index, time, timestamp, counter, ecu, apid, ctid, type, subtype, mode, noar, payload] = m;
  return { index, time, timestamp, counter, ecu, apid, ctid, type, subtype, mode, noar, payload };
}
