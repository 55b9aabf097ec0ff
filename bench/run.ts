// `npm run bench`: every figure measured side by side in one run on this machine (machines here
// are shared and noisy, so ratios are the numbers to trust; absolute rates are for context).

import { cpus } from 'node:os';
import { benchVirtqueue, formatVirtqueueC } from './virtqueue.js';
import { benchPlatform } from './platform.js';
import { benchPlatformMeasures, formatPlatformMeasures } from './platform-measures.js';
import { benchTrace } from './trace.js';
import { benchDlt } from './dlt.js';
import { benchDltImport, formatDltImportBench } from './dlt-import.js';
import { benchQuery, formatQueryBench } from './query.js';
import { benchFaults } from './faults.js';
import { benchTravel, formatTravelBench } from './travel.js';
import { benchReplay, formatReplayBench } from './replay.js';
import { benchSkipAhead, formatSkipAheadBench } from './skip-ahead.js'; // diff / replay --from skipping ahead (issue 10 §3)
import { benchSweep, formatSweepBench } from './sweep.js';
import { benchSnapshot, formatSnapshotBench } from './snapshot.js'; // snapshots (issue 10 §3)
import { benchSeek, formatSeekBench } from './seek.js'; // seek (issue 10 §3)
import { benchParquetExport, formatParquetExportBench } from './export-parquet.js'; // issue 12 §5
import { benchReport, formatReportBench } from './report.js'; // issue 12 §4
import { benchPerfetto, formatPerfettoBench } from './perfetto.js'; // export perfetto (issue 12 §3)
import { benchSync, formatSyncBench } from './sync.js'; // clock sync (issue 11 §5)
import { benchClockFit, formatClockFitBench } from './clock-fit.js'; // clock fit of imported logs (issue 11 §4, §5)
import { benchFrames, formatFramesBench } from './frames.js'; // frames table (issue 12 §1, §2)

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2));
  const want = (name: string) => only.size === 0 || only.has(name);
  console.log(`tracevisor bench — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);

  if (want('virtqueue')) {
    const vq = benchVirtqueue();
    console.log('\nvirtqueue cycle (3-descriptor chains: submit, pop+walk, push, reclaim)');
    console.log(`  core (WASM, batched)      ${fmt(vq.coreChainsPerSec)} chains/s`);
    console.log(`  TypeScript, same work     ${fmt(vq.refChainsPerSec)} chains/s (stage-2 + IOMMU TLB walks, trace rows)`);
    console.log(`  ratio core/same-work ref  ${vq.ratio.toFixed(2)}×`);
    console.log(`  TypeScript, bare ring     ${fmt(vq.bareRefChainsPerSec)} chains/s (no translation, no trace)`);
    console.log(`  ratio core/bare ring      ${vq.bareRatio.toFixed(2)}×`);
    console.log(formatVirtqueueC(vq.c)); // issue 10 §4
  }
  if (want('platform')) {
    const p = await benchPlatform();
    console.log(`\ndefault scenario (cockpit), ${p.virtualSeconds} s virtual, ${p.events} events`);
    console.log(`  recording off             ${fmt(p.offEventsPerSec)} events/s`);
    console.log(`  recording on              ${fmt(p.onEventsPerSec)} events/s`);
    console.log(`    writer thread off       ${fmt(p.onNoThreadEventsPerSec)} events/s; with/without ${p.threadRatio.toFixed(2)}× wall (per-round median)`); // issue 10, pipeline
    console.log(`  cost of recording         ${p.recordingCost.toFixed(2)}× wall time`);
    console.log(`  Arrow bytes per event     ${p.arrowBytesPerEvent.toFixed(1)} B`);
    console.log(formatPlatformMeasures(await benchPlatformMeasures())); // issue 10 targets
  }
  if (want('trace')) {
    const t = await benchTrace();
    console.log('\ntrace store (synthetic events table)');
    console.log(`  Arrow record              ${fmt(t.recordRowsPerSec)} rows/s`);
    console.log(`  Arrow bytes per event     ${t.bytesPerEvent.toFixed(1)} B`);
    console.log(`  DuckDB load (data chunks) ${fmt(t.duckdbLoadRowsPerSec)} rows/s`);
  }
  if (want('dlt')) {
    const d = await benchDlt();
    console.log(`\nDLT parse (${fmt(d.messages)} messages, ${d.mb.toFixed(1)} MB storage file)`);
    console.log(`  tracevisor parser         ${fmt(d.parseMsgsPerSec)} msg/s, ${d.parseMBPerSec.toFixed(1)} MB/s`);
    if (d.dltConvertMsgsPerSec !== undefined) {
      console.log(`  dlt-convert -a            ${fmt(d.dltConvertMsgsPerSec)} msg/s`);
      console.log(`  ratio                     ${(d.parseMsgsPerSec / d.dltConvertMsgsPerSec).toFixed(1)}×`);
    } else {
      console.log('  dlt-convert -a            not installed (apt-get install dlt-tools)');
    }
  }
  if (want('dlt-import')) {
    console.log(`\n${formatDltImportBench(await benchDltImport())}`);
  }
  if (want('query')) {
    console.log(`\n${formatQueryBench(await benchQuery())}`);
  }
  // --- clock sync (issue 11 §5)
  if (want('sync')) {
    console.log(`\n${formatSyncBench(await benchSync())}`);
  }
  // --- clock fit of an imported multi-ECU log (issue 11 §4, §5)
  if (want('clock-fit')) {
    console.log(`\n${formatClockFitBench(await benchClockFit())}`);
  }
  // --- seeded faults (issue 9 §5)
  if (want('faults')) {
    const f = await benchFaults();
    console.log(`\nseeded faults: cockpit, ${f.virtualSeconds} s virtual, recording off, ${f.events} events`);
    console.log(`  no faults                 ${fmt(f.plainEventsPerSec)} events/s`);
    console.log(`  hooks armed, never hit    ${fmt(f.armedEventsPerSec)} events/s (4 faults at ppm 0)`);
    console.log(`  cost of the armed hooks   ${f.hookCost.toFixed(2)}× wall time`);
  }
  // HTML report (issue 12 §4)
  if (want('report')) {
    console.log(`\n${formatReportBench(await benchReport())}`);
  }
  // export parquet (issue 12 §5)
  if (want('export-parquet')) {
    console.log(`\n${formatParquetExportBench(benchParquetExport())}`);
  }
  if (want('travel')) {
    console.log(`\n${formatTravelBench(await benchTravel())}`);
  }
  // replay (issue 9 §2)
  if (want('replay')) {
    console.log(`\n${formatReplayBench(await benchReplay())}`);
  }
  if (want('skip-ahead')) console.log(`\n${formatSkipAheadBench(await benchSkipAhead())}`); // issue 10 §3
  // seed sweeps (issue 9 §6)
  if (want('sweep')) {
    console.log(`\n${formatSweepBench(await benchSweep())}`);
  }
  // snapshots (issue 10 §3)
  if (want('snapshot')) {
    console.log(`\n${formatSnapshotBench(await benchSnapshot())}`);
  }
  // seek on a 600 s trace (issue 10 §3)
  if (want('seek')) {
    console.log(`\n${formatSeekBench(await benchSeek())}`);
  }
  if (want('perfetto')) console.log(`\n${formatPerfettoBench(benchPerfetto())}`); // export perfetto (issue 12 §3)
  // frames table: the cost of recording it, export pcap / candump speed (issue 12)
  if (want('frames')) {
    console.log(`\n${formatFramesBench(await benchFrames())}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
