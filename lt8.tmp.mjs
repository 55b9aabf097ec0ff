import { readFileSync } from 'node:fs';
import { DltParser } from './dist/src/formats/dlt/parser.js';
import { DltBatchBuilder } from './dist/src/formats/dlt/import-batch.js';
const buf = readFileSync('/tmp/l.dlt');
const mode = process.argv[2];
const out = [];
for (let r = 0; r < 4; r++) {
  const t = performance.now();
  const p = DltParser.over(buf, { framing: 'storage' });
  const b = mode === 'sab' ? new DltBatchBuilder(8192, (n) => new SharedArrayBuffer(n)) : new DltBatchBuilder(8192);
  for (let f = p.next(); f; f = p.next()) { b.add(f, 1); if (b.full) { b.columns(); b.reset(); } }
  out.push((performance.now() - t).toFixed(0));
}
console.log(mode, out.join(' '));
