// The core-only continuation both sides of the two-process test run (plain JS so a child node
// process runs this very file): every CAN node without a device (the external ECUs) sends the same
// frames, the core runs alone to `untilNs`, and the rows it emits and its state digests are hashed.
// Run as a program: `node continue-run.mjs <dist> <traceDir> <snapshotId> <untilNs>` restores the
// snapshot from the trace directory in this fresh process first.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';

export function continueRun(core, untilNs, EXIT_IRQ) {
  const hash = createHash('sha256');
  let rows = 0;
  core.setTraceSink((cols, count) => {
    rows += count;
    for (const column of Object.values(cols)) hash.update(new Uint8Array(column.buffer, column.byteOffset, count * column.BYTES_PER_ELEMENT));
  });
  const ecus = core.canNodeStates().filter((n) => n.dev === -1).map((n) => n.node);
  for (let i = 0; i < 9; i++) core.canSend(ecus[i % ecus.length], 0x120 + i, new Uint8Array([i, 7, 7, 7]));
  let irqs = 0;
  while (core.run(untilNs) === EXIT_IRQ) irqs += core.irqTake().length;
  core.traceFlush();
  return { rows, irqs, rowsSha256: hash.digest('hex'), digests: core.stateDigests().map(String), nowNs: core.now() };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dist, dir, id, until] = process.argv.slice(2);
  const { Core } = await import(pathToFileURL(`${dist}/src/core/core.js`).href);
  const { EXIT } = await import(pathToFileURL(`${dist}/src/core/codes.js`).href);
  const { readSnapshot } = await import(pathToFileURL(`${dist}/src/snapshot/index.js`).href);
  const { core: snapshot } = readSnapshot(dir, id);
  const core = Core.fromSnapshotSync(snapshot.limits, snapshot);
  process.stdout.write(JSON.stringify(continueRun(core, Number(until), EXIT.irq)) + '\n');
}
