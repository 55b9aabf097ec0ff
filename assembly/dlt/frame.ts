// Framing fast path and ECU lifecycles of the DLT import kernel.
//
// frameRun() frames storage-framed messages of one input region itself, but only the ones
// src/formats/dlt/parser.ts (DltParser.nextStorage) accepts without doubt: "DLT\x01" at the
// start, a plausible header (plausibleHeader: version 1, a length covering the headers the HTYP
// announces), and right after it the next "DLT\x01" (inside the input), or, at the final end of
// the input, nothing. Everything else (garbage, lying lengths, a message waiting for its refill)
// stops it; the JavaScript parser goes on from there with its own rules.
//
// observe() is LifecycleTracker.observe (src/formats/dlt/lifecycle.ts, the rule and its bounds
// are described there) with the keys import.ts's observeLifecycle gives it, on fixed tables:
//   ECU_SLOTS   ECU_SLOT_COUNT x i32: open addressing, ECU key -> state index + 1 (0 = empty)
//   ECU_STATES  (ECUS_MAX + 1) x ECU_STATE bytes, in first-seen order; the last is `overflow`
//   sessions    an open-addressing table of {u32 ecu index + 1, u32 apid key, i32 lifecycle,
//               u32 session id}; an entry whose lifecycle is not its ECU's current one is
//               stale (Map.clear() of the JS tracker) and its slot reusable. Rehashed (stale
//               entries dropped) into a table at the end of memory when 3/4 of the slots are
//               used; the memory grows then, which leaves existing views of it valid (shared).
import * as L from './layout';

const HTYP_UEH: u32 = 0x01;
const HTYP_WEID: u32 = 0x04;
const HTYP_WSID: u32 = 0x08;
const HTYP_WTMS: u32 = 0x10;
const STORAGE_HEADER_SIZE: usize = 16;
const MARKER: u32 = 0x01544c44; // "DLT\x01" read as a little-endian u32
const MIN_STORAGE_MESSAGE: usize = STORAGE_HEADER_SIZE + 4;

export const ECUS_MAX: i32 = 4096;
const SESSIONS_PER_ECU_MAX: i32 = 4096;
const LIFECYCLE_STORAGE_GAP_US: i64 = 1_000_000;
const LIFECYCLE_SESSION_FALLBACK: i64 = 10_000;

const ECU_SLOT_COUNT: i32 = 8192; // power of two, 2 x ECUS_MAX
export const ECU_STATE: i32 = 48;
// ECU state fields (byte offsets)
export const E_KEY: i32 = 0; //          u32 ECU key (idKey of the 4 id bytes)
export const E_LIFECYCLE: i32 = 4; //    i32
const E_TS_MAX: i32 = 8; //              i64, -1 before the lifecycle's first timestamp
const E_STORED_AT_MAX: i32 = 16; //      i64 µs
const E_LAST_APID: i32 = 24; //          i64, -1: none
const E_LAST_SESSION: i32 = 32; //       i64, -1: none
const E_SESSIONS: i32 = 40; //           i32 live session entries (sessions.size)
const SESSION_ENTRY: usize = 16;
const SESSION_SLOTS_INITIAL: i32 = 4096;

export let ECU_SLOTS: usize = 0;
export let ECU_STATES: usize = 0;
let ecuCount: i32 = 0;
let lastKey: u32 = 0;
let lastIndex: i32 = -1;
let sessions: usize = 0;
let sessionSlots: i32 = 0;
let sessionsUsed: i32 = 0;
let sessionsLive: i32 = 0;

/** Places the ECU tables and the first session table at the end of memory (after layoutCompute). */
export function lifecycleInit(): void {
  const at = allocateEnd(<usize>ECU_SLOT_COUNT * 4 + <usize>(ECUS_MAX + 1) * <usize>ECU_STATE);
  ECU_SLOTS = at;
  ECU_STATES = at + <usize>ECU_SLOT_COUNT * 4;
  for (let e = 0; e <= ECUS_MAX; e++) ecuReset(e, 0);
  sessionSlots = SESSION_SLOTS_INITIAL;
  sessions = allocateEnd(<usize>sessionSlots * SESSION_ENTRY);
}

function ecuReset(e: i32, key: u32): void {
  const st = ECU_STATES + <usize>e * <usize>ECU_STATE;
  store<u32>(st + E_KEY, key);
  store<i32>(st + E_LIFECYCLE, 1);
  store<i64>(st + E_TS_MAX, -1);
  store<i64>(st + E_STORED_AT_MAX, 0);
  store<i64>(st + E_LAST_APID, -1);
  store<i64>(st + E_LAST_SESSION, -1);
  store<i32>(st + E_SESSIONS, 0);
}

/** Zeroed bytes at the end of memory (grown): never given back. */
function allocateEnd(size: usize): usize {
  const at = (L.memoryEnd + 7) & ~(<usize>7);
  const end = at + size;
  assert(end < 0xffff_0000, 'lifecycles: the kernel memory would exceed 4 GiB');
  const pagesNeeded = <i32>((end + <usize>L.WASM_PAGE - 1) / <usize>L.WASM_PAGE);
  const pagesHave = memory.size();
  if (pagesNeeded > pagesHave) assert(memory.grow(pagesNeeded - pagesHave) >= 0, 'lifecycles: memory.grow failed');
  L.setMemoryEnd(end);
  return at;
}

/** ECUs with a state of their own (first seen first); their states follow at ECU_STATES. */
export function ecuStateCount(): i32 { return ecuCount; }

// @ts-ignore: decorator
@inline function hash32(x: u32): u32 {
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

/** The state index of ECU `key`: its own, a new one, or the overflow state (ECUS_MAX) when full. */
function ecuIndex(key: u32): i32 {
  if (key == lastKey && lastIndex >= 0) return lastIndex;
  const mask = <u32>ECU_SLOT_COUNT - 1;
  let slot = hash32(key) & mask;
  while (true) {
    const at = ECU_SLOTS + 4 * <usize>slot;
    const v = load<i32>(at);
    if (v == 0) {
      if (ecuCount >= ECUS_MAX) return ECUS_MAX; // not remembered as the last: as the JS tracker
      const e = ecuCount++;
      ecuReset(e, key);
      store<i32>(at, e + 1);
      lastKey = key;
      lastIndex = e;
      return e;
    }
    if (load<u32>(ECU_STATES + <usize>(v - 1) * <usize>ECU_STATE + E_KEY) == key) {
      lastKey = key;
      lastIndex = v - 1;
      return v - 1;
    }
    slot = (slot + 1) & mask;
  }
}

// @ts-ignore: decorator
@inline function sessionHash(e: i32, apid: u32): u32 {
  return hash32(apid ^ hash32(<u32>e + 0x9e3779b9));
}

// @ts-ignore: decorator
@inline function lifecycleOf(e: i32): i32 {
  return load<i32>(ECU_STATES + <usize>e * <usize>ECU_STATE + E_LIFECYCLE);
}

/** The session entry of (ECU e, apid) in lifecycle `lc`, or 0. */
function sessionFind(e: i32, lc: i32, apid: u32): usize {
  const mask = <u32>sessionSlots - 1;
  let slot = sessionHash(e, apid) & mask;
  while (true) {
    const at = sessions + SESSION_ENTRY * <usize>slot;
    const owner = load<i32>(at);
    if (owner == 0) return 0;
    if (owner == e + 1 && load<u32>(at + 4) == apid && load<i32>(at + 8) == lc) return at;
    slot = (slot + 1) & mask;
  }
}

/**
 * sessions.set(apid, session) of ECU e in lifecycle `lc`, or only an update when `mayAdd` is
 * false (the ECU holds SESSIONS_PER_ECU_MAX). Returns whether it set it.
 */
function sessionSet(e: i32, lc: i32, apid: u32, session: u32, mayAdd: bool): bool {
  const mask = <u32>sessionSlots - 1;
  let slot = sessionHash(e, apid) & mask;
  let reusable: usize = 0;
  while (true) {
    const at = sessions + SESSION_ENTRY * <usize>slot;
    const owner = load<i32>(at);
    if (owner == 0) {
      if (!mayAdd) return false;
      if (reusable == 0) {
        if (4 * (sessionsUsed + 1) > 3 * sessionSlots) {
          sessionsRehash();
          return sessionSet(e, lc, apid, session, mayAdd);
        }
        sessionsUsed++;
        reusable = at;
      }
      store<i32>(reusable, e + 1);
      store<u32>(reusable + 4, apid);
      store<i32>(reusable + 8, lc);
      store<u32>(reusable + 12, session);
      sessionsLive++;
      const st = ECU_STATES + <usize>e * <usize>ECU_STATE;
      store<i32>(st + E_SESSIONS, load<i32>(st + E_SESSIONS) + 1);
      return true;
    }
    const entryLc = load<i32>(at + 8);
    if (owner == e + 1 && entryLc == lc && load<u32>(at + 4) == apid) {
      store<u32>(at + 12, session);
      return true;
    }
    if (reusable == 0 && entryLc != lifecycleOf(owner - 1)) reusable = at; // stale
    slot = (slot + 1) & mask;
  }
}

/** The live entries into a new table with at most half of its slots used. */
function sessionsRehash(): void {
  let slots = sessionSlots;
  while (4 * (sessionsLive + 1) > slots) slots <<= 1;
  const from = sessions;
  const fromSlots = sessionSlots;
  sessions = allocateEnd(<usize>slots * SESSION_ENTRY);
  sessionSlots = slots;
  sessionsUsed = 0;
  const mask = <u32>slots - 1;
  for (let k = 0; k < fromSlots; k++) {
    const at = from + SESSION_ENTRY * <usize>k;
    const owner = load<i32>(at);
    if (owner == 0 || load<i32>(at + 8) != lifecycleOf(owner - 1)) continue;
    let slot = sessionHash(owner - 1, load<u32>(at + 4)) & mask;
    for (;;) {
      const to = sessions + SESSION_ENTRY * <usize>slot;
      if (load<i32>(to) == 0) {
        memory.copy(to, at, SESSION_ENTRY);
        break;
      }
      slot = (slot + 1) & mask;
    }
    sessionsUsed++;
  }
  assert(sessionsUsed == sessionsLive, 'lifecycles: live session count');
}

/**
 * LifecycleTracker.observe: the lifecycle of the next message of ECU `key`. `timestamp` in
 * 0.1 ms or -1; `storedUs` storage time in µs; `apid` key or -1; `session` id or -1.
 */
export function observe(key: u32, timestamp: i64, storedUs: i64, apid: i64, session: i64): i32 {
  const e = ecuIndex(key);
  const st = ECU_STATES + <usize>e * <usize>ECU_STATE;
  let lc = load<i32>(st + E_LIFECYCLE);
  if (timestamp < 0) return lc;
  let tsMax = load<i64>(st + E_TS_MAX);
  if (tsMax >= 0 && timestamp < tsMax && restarted(e, lc, tsMax, load<i64>(st + E_STORED_AT_MAX), timestamp, storedUs, apid, session)) {
    lc++;
    store<i32>(st + E_LIFECYCLE, lc);
    tsMax = -1;
    sessionsLive -= load<i32>(st + E_SESSIONS); // the entries of the old lifecycle are stale now
    store<i32>(st + E_SESSIONS, 0);
    store<i64>(st + E_LAST_APID, -1);
  }
  if (timestamp >= tsMax) {
    store<i64>(st + E_TS_MAX, timestamp);
    store<i64>(st + E_STORED_AT_MAX, storedUs);
  }
  if (session >= 0 && apid != -1 &&
    (apid != load<i64>(st + E_LAST_APID) || session != load<i64>(st + E_LAST_SESSION))) {
    if (sessionSet(e, lc, <u32>apid, <u32>session, load<i32>(st + E_SESSIONS) < SESSIONS_PER_ECU_MAX)) {
      store<i64>(st + E_LAST_APID, apid);
      store<i64>(st + E_LAST_SESSION, session);
    }
  }
  return lc;
}

function restarted(e: i32, lc: i32, tsMax: i64, storedAtMax: i64, timestamp: i64, storedUs: i64, apid: i64, session: i64): bool {
  const gap = storedUs - storedAtMax;
  if ((gap < 0 ? -gap : gap) >= LIFECYCLE_STORAGE_GAP_US) return true;
  if (tsMax - timestamp < LIFECYCLE_SESSION_FALLBACK || session < 0) return false;
  if (apid < 0) return false; // -1: no application, never a key of `sessions`
  const at = sessionFind(e, lc, <u32>apid);
  return at != 0 && <i64>load<u32>(at + 12) != session;
}

/** observe() for the storage-framed message at `s`, with the keys of import.ts's observeLifecycle. */
export function observeMessage(s: usize): i32 {
  const h = s + STORAGE_HEADER_SIZE;
  const htyp = <u32>load<u8>(h);
  let p = h + 4;
  let ecuAt = s + 12;
  if ((htyp & HTYP_WEID) != 0) {
    ecuAt = p;
    p += 4;
  }
  let session: i64 = -1;
  if ((htyp & HTYP_WSID) != 0) {
    session = <i64>bswap<u32>(load<u32>(p));
    p += 4;
  }
  let timestamp: i64 = -1;
  if ((htyp & HTYP_WTMS) != 0) {
    timestamp = <i64>bswap<u32>(load<u32>(p));
    p += 4;
  }
  const apid: i64 = (htyp & HTYP_UEH) != 0 ? <i64>load<u32>(p + 2) : -1;
  const storedUs = <i64>load<u32>(s + 4) * 1_000_000 + <i64>load<u32>(s + 8);
  return observe(load<u32>(ecuAt), timestamp, storedUs, apid, session);
}

/** parser.ts's plausibleHeader: version 1 and a length covering the announced headers. */
// @ts-ignore: decorator
@inline function plausible(htyp: u32, length: usize): bool {
  const size: usize = 4 + ((htyp & HTYP_WEID) != 0 ? 4 : 0) + ((htyp & HTYP_WSID) != 0 ? 4 : 0) +
    ((htyp & HTYP_WTMS) != 0 ? 4 : 0) + ((htyp & HTYP_UEH) != 0 ? 10 : 0);
  return (htyp >> 5) == 1 && length >= size;
}

/**
 * Frames the certain messages of [from, end) (addresses in an input region) from `from` on, as
 * DltParser would accept them; `final`: no more input comes after `end`. Each framed message is
 * observed (its lifecycle) and queued at queue entries q0, q0 + 1, … up to qMax (exclusive).
 * Returns the queue count after; ST_FRAME_AT gets the address where it stopped (the next
 * message's start, or the first byte it was not sure of).
 */
export function frameRun(from: usize, end: usize, final: i32, q0: i32, qMax: i32): i32 {
  assert(from >= L.INPUTS && end <= L.QUEUE && from <= end, 'frameRun: range outside the inputs');
  assert(q0 >= 0 && qMax <= L.batchRows && q0 <= qMax, 'frameRun: queue range');
  let pos = from;
  let q = q0;
  while (q < qMax) {
    if (end - pos < MIN_STORAGE_MESSAGE || load<u32>(pos) != MARKER) break;
    const h = pos + STORAGE_HEADER_SIZE;
    const htyp = <u32>load<u8>(h);
    const length = <usize>bswap<u16>(load<u16>(h + 2));
    if (!plausible(htyp, length)) break;
    const e = h + length;
    if (!(e + 4 <= end && load<u32>(e) == MARKER) && !(final != 0 && e == end)) break;
    const entry = L.QUEUE + <usize>L.QUEUE_ENTRY * <usize>q;
    store<u32>(entry, <u32>pos);
    store<i32>(entry + 4, observeMessage(pos));
    q++;
    pos = e;
  }
  L.stSet(L.ST_FRAME_AT, <i32>pos);
  return q;
}
