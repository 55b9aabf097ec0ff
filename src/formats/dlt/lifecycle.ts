/**
 * ECU lifecycles (boots) of imported logs, numbered per ECU from 1, decided message by message
 * in import order (streaming: no look-ahead, constant state per ECU and application).
 *
 * The DLT timestamp (WTMS) counts 0.1 ms since the ECU started, so a restart shows as the
 * timestamp falling back. But real logs also fall back without a restart: applications buffer
 * their messages (libdlt before the daemon is up, or under load), so one application's older
 * messages arrive after another's newer ones, sometimes seconds later. The rule tells the two
 * apart with a second clock, the storage header's (the collector's receive time):
 *
 *   Per ECU, keep `tsMax`, the newest timestamp of the current lifecycle, and `storedAtMax`,
 *   when the message carrying it was stored. A message with timestamp t, stored at s, starts
 *   a new lifecycle when t < tsMax (the ECU's clock fell back) and either
 *     (a) |s − storedAtMax| ≥ 1 s: a late message of the same lifecycle would have been stored
 *         at about the time of the newer messages it was reordered with; a reboot takes the
 *         ECU (and the collector's connection) away for a while. A storing clock that fell
 *         back too (an ECU writing its own files after an RTC-less boot) counts as well; or
 *     (b) tsMax − t ≥ 1 s and the message's application (APID) had another session id in
 *         this lifecycle: libdlt's session id is the process id, and an application whose
 *         process changed while the ECU clock went back by a second has restarted with its ECU
 *         (this catches restarts stored in one burst, e.g. a backlog sent on reconnect).
 *
 * Messages without a timestamp stay in the current lifecycle. Not detected: a restart whose
 * first message's timestamp is not below the previous lifecycle's newest one (a lifecycle
 * shorter than the next one's first timestamp), and a restart stored in one burst whose
 * applications got the same process ids again.
 */

/** Clause (a): storage-time distance, in microseconds. */
export const LIFECYCLE_STORAGE_GAP_US = 1_000_000;
/** Clause (b): how far the timestamp must fall back, in 0.1 ms units (1 s). */
export const LIFECYCLE_SESSION_FALLBACK = 10_000;

class EcuState {
  lifecycle = 1;
  /** newest timestamp of the lifecycle (0.1 ms); -1 before the first timestamped message */
  tsMax = -1;
  storedAtMax = 0;
  /** session id per application key in this lifecycle */
  readonly sessions = new Map<number | string, number>();
  /** the (application, session) last put in `sessions`: consecutive messages repeat it */
  lastApid: number | string = -1;
  lastSession = -1;
}

/** Bounds: ids come from untrusted files; beyond this many ECUs the extra ones share state. */
const ECUS_MAX = 4096;
const SESSIONS_PER_ECU_MAX = 4096;

export class LifecycleTracker {
  private readonly ecus = new Map<number | string, EcuState>();
  private readonly overflow = new EcuState();
  /** the last ECU looked up: logs come in runs of one ECU */
  private lastKey: number | string | null = null;
  private lastState: EcuState = this.overflow;

  /**
   * The lifecycle of the next message of `ecu` (any key that identifies the ECU id).
   * `timestamp` in 0.1 ms or -1 when absent; `storedUs` the storage time in microseconds;
   * `apid` a key of the application or -1; `sessionId` or -1 when absent.
   */
  observe(ecu: number | string, timestamp: number, storedUs: number, apid: number | string, sessionId: number): number {
    const state = this.state(ecu);
    if (timestamp < 0) return state.lifecycle;
    if (state.tsMax >= 0 && timestamp < state.tsMax && this.restarted(state, timestamp, storedUs, apid, sessionId)) {
      state.lifecycle++;
      state.tsMax = -1;
      state.sessions.clear();
      state.lastApid = -1;
    }
    if (timestamp >= state.tsMax) {
      state.tsMax = timestamp;
      state.storedAtMax = storedUs;
    }
    if (sessionId >= 0 && apid !== -1 && (apid !== state.lastApid || sessionId !== state.lastSession) &&
      (state.sessions.size < SESSIONS_PER_ECU_MAX || state.sessions.has(apid))) {
      state.sessions.set(apid, sessionId);
      state.lastApid = apid;
      state.lastSession = sessionId;
    }
    return state.lifecycle;
  }

  /** Number of lifecycles seen per ECU key. */
  counts(): Map<number | string, number> {
    const out = new Map<number | string, number>();
    for (const [key, state] of this.ecus) out.set(key, state.lifecycle);
    return out;
  }

  private restarted(state: EcuState, timestamp: number, storedUs: number, apid: number | string, sessionId: number): boolean {
    if (Math.abs(storedUs - state.storedAtMax) >= LIFECYCLE_STORAGE_GAP_US) return true;
    if (state.tsMax - timestamp < LIFECYCLE_SESSION_FALLBACK || sessionId < 0) return false;
    const before = state.sessions.get(apid);
    return before !== undefined && before !== sessionId;
  }

  private state(ecu: number | string): EcuState {
    if (ecu === this.lastKey) return this.lastState;
    let state = this.ecus.get(ecu);
    if (state === undefined) {
      if (this.ecus.size >= ECUS_MAX) return this.overflow;
      state = new EcuState();
      this.ecus.set(ecu, state);
    }
    this.lastKey = ecu;
    this.lastState = state;
    return state;
  }
}
