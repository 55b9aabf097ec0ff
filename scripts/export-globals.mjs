// Build step after `asc` (package.json build:wasm): exports every mutable global of
// build/core.wasm as `g:<name>` so a snapshot can read and write them (issue 10 §3). With the
// "stub" runtime the core's whole state is its linear memory plus these globals (the module-level
// `let`s of assembly/ that survived optimisation). binaryen reads the optimised module and writes it
// back with the added exports and no pass run over it (its re-encoding of a few blocks may differ
// in bytes, not in meaning; the cockpit trace's hashes are the check).
//
// The release binary carries no name section; the names come from the text file asc writes from
// the same module (asconfig.json textFile), whose globals are in the same order. Both are checked
// against each other (count, mutability, type) so a mismatch fails the build instead of
// mislabelling a global.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import binaryen from 'binaryen';

const WASM = process.argv[2] ?? 'build/core.wasm';
const WAT = process.argv[3] ?? 'build/core.wat';
const PREFIX = 'g:';

/** Globals in declaration order, as the text format names them: { name, mutable, type }. */
function watGlobals(text) {
  const out = [];
  for (const match of text.matchAll(/^ \(global \$(\S+) (\(mut (\w+)\)|(\w+))/gm)) {
    out.push({ name: match[1], mutable: match[3] !== undefined, type: match[3] ?? match[4] });
  }
  return out;
}

function typeName(type) {
  if (type === binaryen.i32) return 'i32';
  if (type === binaryen.i64) return 'i64';
  if (type === binaryen.f32) return 'f32';
  if (type === binaryen.f64) return 'f64';
  return `type ${type}`;
}

function fail(message) {
  console.error(`export-globals: ${message}`);
  process.exit(1);
}

const module = binaryen.readBinary(readFileSync(WASM));
// asc emits bulk-memory, sign-extension, mutable-globals and friends; let the validator accept
// what the engine accepts (the features only gate validation here, nothing is re-optimised).
module.setFeatures(binaryen.Features.All);
const named = watGlobals(readFileSync(WAT, 'utf8'));
const count = module.getNumGlobals();
if (named.length !== count) fail(`${WAT} declares ${named.length} globals, ${WASM} has ${count}; rebuild both`);

const exported = new Set();
for (let i = 0; i < module.getNumExports(); i++) {
  exported.add(binaryen.getExportInfo(module.getExportByIndex(i)).name);
}
let added = 0;
for (let i = 0; i < count; i++) {
  const info = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
  const want = named[i];
  if (info.mutable !== want.mutable || typeName(info.type) !== want.type) {
    fail(`global ${i} is ${typeName(info.type)} mutable=${info.mutable} in ${WASM}, ${want.type} mutable=${want.mutable} ($${want.name}) in ${WAT}`);
  }
  if (!info.mutable || info.module !== '') continue;
  const external = PREFIX + want.name;
  if (exported.has(external)) fail(`export ${external} exists already (run this step once per asc build)`);
  module.addGlobalExport(info.name, external);
  added++;
}
if (!module.validate()) fail('binaryen says the module is invalid after adding the exports');
const temp = `${WASM}.tmp`;
writeFileSync(temp, module.emitBinary());
renameSync(temp, WASM);
module.dispose();
console.log(`export-globals: ${WASM}: exported ${added} mutable globals as ${PREFIX}<name>`);
