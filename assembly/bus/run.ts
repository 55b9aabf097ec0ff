// The core's event loop: runs timed events in (time, seq) order up to a bound. A handler that
// runs out of trace room returns false; its event goes back into the heap with its own
// (time, seq), so it resumes in exactly the same place after TypeScript drains the trace: the
// trace does not depend on the trace capacity.
import { now, clockSet } from '../clock';
import { traceRoom } from '../trace/columns';
import { timerTopTime, timerPop, timerReinsertCurrent, curTime, curKind, curA, curB, curC } from './timers';
import { irqCount, irqTake } from './irq';
import { stSet, ST_STEP_IRQS, ST_RUN_BUDGET } from '../layout';
import { linkTxDone, linkRx, linkDev, linkPort, T_LINK_TX_DONE, T_LINK_RX } from './link';
import { switchIngress } from './switch';
import { frameFree } from './frames';
import { linkFaultOnArrival } from './link-faults';
import {
  netTxService, netTxStart, netTxDone, netRxArrive, netRxDeliver, netWakeWaiting,
  T_NET_TX_SERVICE, T_NET_TX_START, T_NET_RX_DELIVER,
} from './net';
import {
  canTxService, canArbitrate, canTxDone, canRxDeliver, canErrorDone,
  T_CAN_TX_SERVICE, T_CAN_ARB, T_CAN_TX_DONE, T_CAN_RX_DELIVER, T_CAN_ERROR_DONE,
} from './can';

export const EXIT_UNTIL: i32 = 0;
export const EXIT_IRQ: i32 = 1;
export const EXIT_TRACE_FULL: i32 = 2; // also: the per-call step budget is spent; call again
const RUN_STEPS_MAX: i32 = 1 << 20;

function dispatch(kind: i32, a: i32, b: i32): bool {
  switch (kind) {
    case T_NET_TX_SERVICE: return netTxService(a);
    case T_NET_TX_START: netTxStart(a, b); return true;
    case T_LINK_TX_DONE: return linkTxDoneEvent(a, b, curC);
    case T_LINK_RX: return linkRxEvent(a, b, curC);
    case T_NET_RX_DELIVER: netRxDeliver(a, b); return true;
    case T_CAN_TX_SERVICE: return canTxService(a);
    case T_CAN_ARB: canArbitrate(a, b); return true;
    case T_CAN_TX_DONE: return canTxDone(a);
    case T_CAN_RX_DELIVER: canRxDeliver(a, b); return true;
    case T_CAN_ERROR_DONE: canErrorDone(a); return true;
  }
  assert(false, 'run: unknown timer kind');
  return true;
}

function linkTxDoneEvent(link: i32, dir: i32, slot: i32): bool {
  linkTxDone(link, dir, slot);
  if (dir == 0) netTxDone(slot);
  return true;
}

function linkRxEvent(link: i32, dir: i32, slot: i32): bool {
  if (linkFaultOnArrival(link, dir, slot)) return true; // seeded faults (issue 9 §5)
  linkRx(link, slot);
  if (dir == 0) switchIngress(slot, link, linkPort(link));
  else if (linkDev(link) < 0) frameFree(slot); // reached an external host (bus/host.ts): it leaves
  else netRxArrive(linkDev(link), slot);
  return true;
}

/** Run events with time <= until; EXIT_* says why it returned (now() = the stopping time). */
export function run(until: i64): i32 {
  assert(until >= now(), 'run: untilNs before now');
  if (irqCount() > 0) return EXIT_IRQ;
  for (let steps = 0; steps < RUN_STEPS_MAX; steps++) {
    const t = timerTopTime();
    if (t < 0 || t > until) {
      clockSet(until);
      return EXIT_UNTIL;
    }
    if (!traceRoom()) return EXIT_TRACE_FULL;
    timerPop();
    clockSet(curTime);
    if (!dispatch(curKind, curA, curB)) {
      assert(!traceRoom(), 'run: a handler yielded with trace room left');
      timerReinsertCurrent();
    }
    netWakeWaiting();
    if (irqCount() > 0) return EXIT_IRQ;
  }
  // The caller drains the events here although they may be below the soft limit; it tells this
  // from a stop for a full frames ring, which drains the frames alone (issue 12 §1).
  stSet(ST_RUN_BUDGET, 1);
  return EXIT_TRACE_FULL;
}

/** setNow: move the clock without skipping events (run() them first). */
export function setNow(ns: i64): void {
  const t = timerTopTime();
  assert(t < 0 || t >= ns, 'setNow: core events pending before ns (call run(ns) first)');
  clockSet(ns);
}

/**
 * One engine step (issue 10 §2): run(until), and on EXIT_IRQ move the pending interrupts to
 * scratch (irqTake's format) with their count in ST_STEP_IRQS, so the engine's run/now/irqTake
 * round trip is one call; the clock is read from the STATE region (ST_NOW).
 */
export function step(until: i64): i32 {
  const exit = run(until);
  stSet(ST_STEP_IRQS, exit == EXIT_IRQ ? irqTake() : 0);
  return exit;
}
