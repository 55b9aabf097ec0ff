// FOR THE BENCHMARK ONLY (bench/virtqueue.ts): the whole split-ring cycle inside the core, so
// one crossing moves thousands of chains (ARCHITECTURE 2). It runs the same code as the public
// calls (driver submit, device pop + walk + push, driver reclaim), trace rows included.
import { scratchBase, scratchBytes, stGet, ST_TRACE_SOFT, ST_TRACE_COUNT, ST_SEG_WRITE } from '../layout';
import { qGet, qSize, Q_DRV_FREE_COUNT } from './queue';
import { submitOne, publishAvail, drvReclaimTo, recordBytes } from './driver';
import { availIdxRead, popWalkAt, popCommit, pushElem, publishUsed, publishAvailEvent, POP_EMPTY } from './device';

/** Run up to `chains` cycles of the chain record at scratch[0]; returns cycles completed. */
export function benchCycle(q: i32, chains: i32): i32 {
  const rec = scratchBase;
  const need = (<i32>load<u16>(rec) + <i32>load<u16>(rec, 2));
  const out = scratchBase + <usize>((recordBytes(rec) + 63) & ~63);
  const room = (scratchBytes - <i32>(out - scratchBase)) >> 3;
  assert(room >= qSize(q), 'benchCycle: scratch too small for one ring of used elements');
  let done = 0;
  while (done < chains) {
    // Each chain writes vq_avail + vq_used; leave room for the odd tlb_miss.
    const traceLeft = (stGet(ST_TRACE_SOFT) - stGet(ST_TRACE_COUNT)) / 4;
    const batch = min(min(chains - done, qGet(q, Q_DRV_FREE_COUNT) / need), traceLeft);
    if (batch <= 0) break;
    for (let i = 0; i < batch; i++) if (submitOne(q, rec) < 0) return done;
    if (!publishAvail(q)) return done;
    let popped = 0;
    const availIdx = availIdxRead(q);
    if (availIdx < 0) return done;
    while (true) {
      const head = popWalkAt(q, availIdx);
      if (head == POP_EMPTY) break;
      if (head < 0) return done;
      popCommit(q);
      if (pushElem(q, head, stGet(ST_SEG_WRITE)) != 0) return done;
      popped++;
    }
    if (publishUsed(q) != 0 || !publishAvailEvent(q)) return done;
    if (drvReclaimTo(q, popped, out, room) != popped) return done;
    done += batch;
  }
  return done;
}
