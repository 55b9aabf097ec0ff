// What a core timed event is, in words: the T_* kinds of assembly/bus/{net,link,can}.ts and
// their arguments (a, b, c as timerAdd was given them), for state dumps.

import type { CoreTimer } from '../core/api.js';

/** T_* kind -> what it does, with its argument names (assembly/bus/*.ts timerAdd calls). */
const TIMER_KINDS: Record<number, (t: CoreTimer) => string> = {
  1: (t) => `net TX service: dev ${t.a}`, //                     T_NET_TX_SERVICE (dev)
  2: (t) => `net TX start: dev ${t.a} frame slot ${t.b}`, //     T_NET_TX_START (dev, slot)
  3: (t) => `link TX done: link ${t.a} ${direction(t.b)}`, //   T_LINK_TX_DONE (link, dir, slot)
  4: (t) => `link RX: link ${t.a} ${direction(t.b)}`, //        T_LINK_RX (link, dir, slot)
  5: (t) => `net RX deliver: dev ${t.a} frame slot ${t.b}`, //   T_NET_RX_DELIVER (dev, slot)
  6: (t) => `CAN TX service: node ${t.a}`, //                   T_CAN_TX_SERVICE (node)
  7: (t) => `CAN arbitration: bus ${t.a}`, //                   T_CAN_ARB (bus, generation)
  8: (t) => `CAN TX done: bus ${t.a}`, //                       T_CAN_TX_DONE (bus)
  9: (t) => `CAN RX deliver: node ${t.a} frame slot ${t.b}`, //  T_CAN_RX_DELIVER (node, slot)
};

function direction(dir: number): string {
  return dir === 0 ? 'to switch' : 'from switch';
}

export function describeCoreTimer(t: CoreTimer): string {
  return TIMER_KINDS[t.kind]?.(t) ?? `core timer kind ${t.kind} (${t.a}, ${t.b}, ${t.c})`;
}
