// Memory-bus budgets: one token bucket per VM, integer only. Tokens are kept scaled by the period
// (byte*ns) so refill is exact: +bytesPerPeriod per periodNs = +rate per ns in scaled units.
//   capacity = bytesPerPeriod (scaled: rate * period); a charge of b bytes removes b * period;
//   below zero the deficit D bytes costs ceil(D * period / rate) ns, the time the bucket needs to
//   climb back to zero. Debt carries over, so back-to-back charges queue behind each other.
//  VM (64 B): +0 i32 live | +8 i64 rate (bytes per period) | +16 i64 periodNs
//             +24 i64 scaled tokens | +32 i64 last refill time | +40 i32 budget on
import { vmAt, vmLive } from '../mmu/stage2';
import { now } from '../clock';
import { traceRow } from '../trace/columns';
import { Kind } from '../trace/kinds';

const SCALED_MAX: i64 = <i64>1 << 62;

export function busBudget(vm: i32, bytesPerPeriod: i64, periodNs: i64): void {
  assert(vmLive(vm), 'busBudget: unknown vm');
  assert(bytesPerPeriod > 0 && periodNs > 0, 'busBudget: bytesPerPeriod and periodNs must be > 0');
  assert(bytesPerPeriod <= SCALED_MAX / periodNs, 'busBudget: bytesPerPeriod * periodNs overflows');
  const p = vmAt(vm);
  store<i64>(p, bytesPerPeriod, 8);
  store<i64>(p, periodNs, 16);
  store<i64>(p, bytesPerPeriod * periodNs, 24);
  store<i64>(p, now(), 32);
  store<i32>(p, 1, 40);
}

function refill(p: usize): void {
  const rate = load<i64>(p, 8);
  const cap = rate * load<i64>(p, 16);
  const scaled = load<i64>(p, 24);
  const elapsed = now() - load<i64>(p, 32);
  store<i64>(p, now(), 32);
  const need = cap - scaled;
  if (need <= 0) return;
  // elapsed * rate cannot overflow below the time that fills the bucket.
  const fillNs = (need + rate - 1) / rate;
  store<i64>(p, elapsed >= fillNs ? cap : scaled + elapsed * rate, 24);
}

/** Charge `bytes` of traffic to vm's budget; returns the delay (ns) it imposes (0 if none). */
export function busChargeDev(vm: i32, dev: i32, bytes: i64): i64 {
  if (vm < 0 || !vmLive(vm)) return 0;
  const p = vmAt(vm);
  if (load<i32>(p, 40) == 0) return 0;
  assert(bytes >= 0 && bytes < (<i64>1 << 40), 'busCharge: bytes out of range');
  refill(p);
  const period = load<i64>(p, 16);
  const scaled = load<i64>(p, 24) - bytes * period;
  assert(scaled > -SCALED_MAX, 'busCharge: debt beyond the scaled range');
  store<i64>(p, scaled, 24);
  if (scaled >= 0) return 0;
  const rate = load<i64>(p, 8);
  const delay = (-scaled + rate - 1) / rate;
  traceRow(Kind.BUS_THROTTLE, vm, dev, -1, 0, <i32>min<i64>(bytes, 0x7FFFFFFF), delay);
  return delay;
}

/**
 * bus_cut (issue 9 §5): change vm's rate (bytes per period) from now, keeping its period and its
 * debt; tokens above the new capacity are dropped. Refills up to now at the old rate first, so the
 * cut applies from now on only. Returns the rate in force before.
 */
export function busBudgetRate(vm: i32, bytesPerPeriod: i64): i64 {
  assert(vmLive(vm), 'busBudgetRate: unknown vm');
  const p = vmAt(vm);
  assert(load<i32>(p, 40) != 0, 'busBudgetRate: the vm has no budget');
  const period = load<i64>(p, 16);
  assert(bytesPerPeriod > 0 && bytesPerPeriod <= SCALED_MAX / period, 'busBudgetRate: bad rate');
  refill(p);
  const before = load<i64>(p, 8);
  store<i64>(p, bytesPerPeriod, 8);
  const cap = bytesPerPeriod * period;
  if (load<i64>(p, 24) > cap) store<i64>(p, cap, 24);
  return before;
}

// --- introspection (time travel, issue 9): the bucket as a charge at now would see it, read-only
/** Field f of vm's budget: 0 on, 1 bytes per period, 2 period ns, 3 tokens in bytes at now
 *  (refilled to now without storing; negative = debt), 4 capacity in bytes. */
export function busBudgetField(vm: i32, f: i32): i64 {
  assert(vmLive(vm), 'busBudgetField: unknown vm');
  const p = vmAt(vm);
  const on = load<i32>(p, 40) != 0;
  switch (f) {
    case 0: return on ? 1 : 0;
    case 1: return load<i64>(p, 8);
    case 2: return load<i64>(p, 16);
    case 3: return on ? tokensAtNow(p) : 0;
    case 4: return load<i64>(p, 8);
  }
  assert(false, 'busBudgetField: field 0..4');
  return 0;
}

/** refill()'s arithmetic without the stores, in whole bytes (floor; debt rounds away from 0). */
function tokensAtNow(p: usize): i64 {
  const rate = load<i64>(p, 8);
  const period = load<i64>(p, 16);
  const cap = rate * period;
  let scaled = load<i64>(p, 24);
  const need = cap - scaled;
  if (need > 0) {
    const fillNs = (need + rate - 1) / rate;
    const elapsed = now() - load<i64>(p, 32);
    scaled = elapsed >= fillNs ? cap : scaled + elapsed * rate;
  }
  return scaled >= 0 ? scaled / period : -((-scaled + period - 1) / period);
}
