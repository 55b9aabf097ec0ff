// identity.json: what the recorder left on disk, by file identity (issue 9's 1.2x target). At
// finish the recorder writes each table file's size, mtime, ctime, inode and device, with the
// sha256 of the manifest it wrote. While every one of them is unchanged the files are the bytes
// the recorder hashed as it wrote them (the manifest's sha256), so a replay need not read
// events and frames back to vouch for them (verify-run.ts). The same trust a query store gives
// its fingerprint after one full verification (issue 7 §1); a file rewritten, truncated,
// replaced, touched, copied, hard-linked or chmod-ed changes its ctime or inode, and then the
// replay reads and compares the file as before. What an identity cannot see: bytes changed under
// the filesystem (a bad disk), the case only a full read catches (`tracevisor info --verify`).
//
// The sidecar is a hint, never a source of answers: absent, unreadable, foreign or stale, it only
// sends the replay down the reading path.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MANIFEST_FILE, type Manifest } from './manifest-file.js';

export const IDENTITY_FILE = 'identity.json';
const IDENTITY_VERSION = 1;
/** Far above any sidecar the recorder writes (a line per table): a larger file is not ours. */
const IDENTITY_BYTES_MAX = 64 * 1024;

/**
 * A file's identity: size, mtime and ctime in ns, inode, device. (The query store's identity of
 * its own Parquet files, store.ts fileIdentity, leaves ctime out: it is taken before the rename
 * that places them, which moves ctime.)
 */
export function fileIdentity(path: string): string {
  const s = statSync(path, { bigint: true });
  return `${s.size} ${s.mtimeNs} ${s.ctimeNs} ${s.ino} ${s.dev}`;
}

function manifestSha256(dir: string): string {
  return createHash('sha256').update(readFileSync(join(dir, MANIFEST_FILE))).digest('hex');
}

/** Writes the sidecar for `files` (names inside dir), after the manifest (its hash is in it). */
export function writeIdentity(dir: string, files: readonly string[]): void {
  const value = {
    identity: IDENTITY_VERSION,
    manifest: manifestSha256(dir),
    files: Object.fromEntries(files.map((f) => [f, fileIdentity(join(dir, f))])),
  };
  const temporary = join(dir, `${IDENTITY_FILE}.tmp-${process.pid}`);
  try {
    writeFileSync(temporary, `${JSON.stringify(value)}\n`);
    renameSync(temporary, join(dir, IDENTITY_FILE));
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * True when the sidecar names the manifest as it is and each of `files` (names inside dir) with
 * its identity now: they are the files the recorder wrote. Any doubt answers false.
 */
export function identityIntact(dir: string, files: readonly string[]): boolean {
  try {
    const path = join(dir, IDENTITY_FILE);
    if (statSync(path).size > IDENTITY_BYTES_MAX) return false;
    const value = JSON.parse(readFileSync(path, 'utf8')) as { identity?: unknown; manifest?: unknown; files?: Record<string, unknown> };
    if (value.identity !== IDENTITY_VERSION || typeof value.files !== 'object' || value.files === null) return false;
    if (value.manifest !== manifestSha256(dir)) return false;
    return files.every((f) => Object.hasOwn(value.files!, f) && value.files![f] === fileIdentity(join(dir, f)));
  } catch {
    return false;
  }
}

/**
 * A FileHasher (open.ts) for table files of a finished trace: the manifest's sha256 of each
 * when identity.json says every one is the recorder's file, else `hash` (the files read and
 * hashed). The query store's build takes it (issue 7: the sha256 of the 600 s cockpit's files
 * was ~0.64 s of CPU on its thread, plus ~0.25 s reading them a second time); a file changed
 * during the build is still caught by the store's fingerprint check after it (store.ts).
 * `tracevisor info --verify` keeps hashing every byte.
 */
export function recordedOrHashed(
  manifest: Manifest,
  hash: (paths: readonly string[]) => Promise<string[]>,
): (paths: readonly string[]) => Promise<string[]> {
  return (paths) => {
    const dir = paths.length > 0 ? dirname(paths[0]!) : '';
    const names = paths.map((p) => basename(p));
    const sha256 = new Map(Object.values(manifest.tables).map((t) => [t!.file, t!.sha256]));
    const same = paths.every((p) => dirname(p) === dir) && names.every((n) => sha256.has(n));
    if (manifest.complete && same && paths.length > 0 && identityIntact(dir, names)) {
      return Promise.resolve(names.map((n) => sha256.get(n)!));
    }
    return hash(paths);
  };
}