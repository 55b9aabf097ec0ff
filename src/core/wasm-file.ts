// Finds and instantiates build/core.wasm, which sits at the package root (src/util/package-root.ts).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import type { CoreExports } from './exports.js';

/** The slice of the WebAssembly JS API used here (tsconfig has no DOM lib, @types/node 20 none). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Adds `pages` 64 KiB pages; detaches every view of the old buffer (snapshot restore only). */
  grow(pages: number): number;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: object }>;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function coreWasmPath(): string {
  const path = join(packageRoot(), 'build', 'core.wasm');
  if (!existsSync(path)) throw new Error(`core: ${path} is missing; run \`npm run build:wasm\``);
  return path;
}

let compiled: Promise<object> | null = null;

// --- bench-only hook (issue 10 targets: bench/platform-measures.ts counts the crossings) ------
type ExportsWrapper = (x: CoreExports) => CoreExports;
let exportsWrapper: ExportsWrapper | null = null;

/**
 * FOR THE BENCHMARK ONLY: every core instantiated from now on hands its exports through `wrap`
 * (a counting proxy of each function); null restores the plain exports. Nothing else sets it.
 */
export function setCoreExportsWrapper(wrap: ExportsWrapper | null): void {
  exportsWrapper = wrap;
}
// ---

let compiledSync: object | null = null;

// --- snapshots (issue 10 §3): the bytes are read once, so the hash names what was compiled
let wasmBytes: Uint8Array | null = null;
let wasmSha256: string | null = null;

function coreWasmBytes(): Uint8Array {
  wasmBytes ??= readFileSync(coreWasmPath());
  return wasmBytes;
}

/** sha256 (hex) of the build/core.wasm this process runs: a snapshot names its build by it. */
export function coreWasmSha256(): string {
  wasmSha256 ??= createHash('sha256').update(coreWasmBytes()).digest('hex');
  return wasmSha256;
}

/** env imports: asserts (abort) become exceptions carrying the core's message. */
function makeImports(): { imports: object; bind: (x: CoreExports) => CoreExports } {
  let memory: WasmMemory | null = null;
  const imports = {
    env: {
      abort(msg: number, file: number, line: number, column: number): never {
        const text = memory === null ? '?' : readString(memory, msg);
        const where = memory === null ? '?' : readString(memory, file);
        throw new Error(`core assert: ${text} (${where}:${line}:${column})`);
      },
    },
  };
  return {
    imports,
    bind: (x) => {
      memory = x.memory;
      return exportsWrapper === null ? x : exportsWrapper(x);
    },
  };
}

/** Compiled once per process; each call makes a fresh instance with its own memory. */
export async function loadCoreModule(): Promise<CoreExports> {
  compiled ??= wasm.compile(coreWasmBytes());
  const module = await compiled;
  const { imports, bind } = makeImports();
  const instance = await wasm.instantiate(module, imports);
  return bind(instance.exports as unknown as CoreExports);
}

/** Synchronous variant (benchmarks and CLI paths that cannot await). */
export function loadCoreModuleSync(): CoreExports {
  compiledSync ??= new wasm.Module(coreWasmBytes());
  const { imports, bind } = makeImports();
  const instance = new wasm.Instance(compiledSync, imports);
  return bind(instance.exports as unknown as CoreExports);
}

/** An AssemblyScript string: UTF-16LE, byte length in the 4 bytes before it. */
function readString(memory: WasmMemory, ptr: number): string {
  if (ptr === 0) return '';
  const bytes = new DataView(memory.buffer).getUint32(ptr - 4, true);
  return Buffer.from(memory.buffer, ptr, bytes).toString('utf16le');
}
