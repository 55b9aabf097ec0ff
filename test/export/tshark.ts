// Running tshark (Debian package tshark) on a capture: tests skip without it, except under
// CI=true, where .ci/run installs it and a missing tshark fails them (as the DLT tool tests do).
import { spawnSync } from 'node:child_process';

export const hasTshark = spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;
export const hasLog2asc = spawnSync('sh', ['-c', 'command -v log2asc'], { stdio: 'ignore' }).status === 0;

/** Skips the test (with the reason) when `tool` is missing; under CI=true, fails instead. */
export function requireTool(ctx: { skip: (condition: boolean, note?: string) => void }, tool: 'tshark' | 'log2asc'): void {
  const have = tool === 'tshark' ? hasTshark : hasLog2asc;
  if (have) return;
  const reason = `not installed: ${tool} (Debian package ${tool === 'tshark' ? 'tshark' : 'can-utils'})`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must install it (.ci/run)`);
  ctx.skip(true, reason);
}

/** tshark -r <file> <args>: its stdout lines (throws with stderr on a non-zero exit). */
export function tshark(file: string, ...args: string[]): string[] {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** tshark -T fields: one array of field values per packet (extra: more tshark options). */
export function tsharkFields(file: string, fields: string[], filter?: string, extra: string[] = []): string[][] {
  const args = [...extra, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f]), ...(filter ? ['-Y', filter] : [])];
  return tshark(file, ...args).map((l) => l.split('\t'));
}

/** The warnings and errors tshark's expert info reports (malformed packets are errors). */
export function expertProblems(file: string): string[] {
  return tshark(file, '-q', '-z', 'expert,warn').filter((l) => /^(Errors|Warnings) \(/.test(l));
}
