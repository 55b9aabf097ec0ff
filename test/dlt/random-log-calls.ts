// Seeded random guest log calls (what a guest passes to vm.log, as toArg maps it) for the tests
// of the DLT console path (issue 10 §2): every value type, toArg's edges, long and non-ASCII text.
import { DLT_LEVELS } from '../../src/core/codes.js';
import type { GuestLogRecord } from '../../src/devices/dlt-channel.js';
import type { LogValue } from '../../src/guests/guest-api.js';
import { int, pick, randomDouble, randomInt, randomText, type R } from './random-messages.js';

export function randomValue(r: R): LogValue {
  switch (int(r, 8)) {
    case 0: return randomText(r);
    case 1: return r() < 0.5;
    case 2: return BigInt.asIntN(64, randomInt(r, 64)) * (r() < 0.1 ? 2n ** 40n : 1n);
    case 3: return randomDouble(r);
    case 4: return Number(BigInt.asIntN(64, randomInt(r, 64)));
    case 5: return pick(r, [2 ** 31, -(2 ** 31) - 1, 2 ** 31 - 1, -(2 ** 31), 0, -0, 2 ** 53, -(2 ** 64)]);
    case 6: return int(r, 2 ** 31) - 2 ** 30;
    default: return pick(r, ['', 'ü'.repeat(int(r, 300)), '🚗'.repeat(int(r, 50)), 'a\ud800'.repeat(int(r, 5))]);
  }
}

export function randomLogRecord(r: R, valuesMax = 8): GuestLogRecord {
  return {
    ecu: pick(r, ['ECU1', 'GW', 'INFO', '', 'LONGER']),
    sessionId: 100 + int(r, 4),
    timestamp: int(r, 2 ** 32),
    counter: int(r, 256),
    apid: pick(r, ['APP', 'KERN', 'CLU', 'ü', '']),
    ctid: pick(r, ['CTX', 'SMP', 'LOOP1', '']),
    level: pick(r, DLT_LEVELS),
    values: Array.from({ length: int(r, valuesMax) }, () => randomValue(r)),
  };
}
