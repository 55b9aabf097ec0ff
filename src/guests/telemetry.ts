// The gateway's CAN-to-Ethernet telemetry payload (what the cluster and others receive):
//   le32 can_id | u8 dlc | u8 signal | le16 reserved | le32 value | u8 data[8]   (20 bytes)

export const SIGNALS = ['counter', 'speed', 'rpm', 'random'] as const;
export type Signal = (typeof SIGNALS)[number];

export interface Telemetry {
  canId: number;
  signal: Signal | 'unknown';
  value: number;
  data: Uint8Array;
}

export const TELEMETRY_BYTES = 20;

/** Signal value from CAN data: speed in 0.01 km/h (le16 at 0), rpm (le16 at 0). */
export function decodeSignal(signal: Signal | 'unknown', data: ArrayLike<number>): number {
  if ((signal === 'speed' || signal === 'rpm') && data.length >= 2) {
    const raw = data[0]! | (data[1]! << 8);
    return signal === 'speed' ? Math.floor(raw / 100) : raw;
  }
  return data.length > 0 ? data[0]! : 0;
}

/** The signal comes from the gateway's route for the frame (src/guests/routes.ts), not from its id. */
export function writeTelemetry(canId: number, signal: Signal | 'unknown', data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(TELEMETRY_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, canId, true);
  out[4] = data.length;
  out[5] = signal === 'unknown' ? 255 : SIGNALS.indexOf(signal);
  view.setUint32(8, decodeSignal(signal, data), true);
  for (let i = 0; i < Math.min(8, data.length); i++) out[12 + i] = data[i]!;
  return out;
}

export function readTelemetry(payload: Uint8Array): Telemetry | null {
  if (payload.length < TELEMETRY_BYTES) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, TELEMETRY_BYTES);
  const code = payload[5]!;
  return {
    canId: view.getUint32(0, true),
    signal: code < SIGNALS.length ? SIGNALS[code]! : 'unknown',
    value: view.getUint32(8, true),
    data: payload.slice(12, 12 + Math.min(8, payload[4]!)),
  };
}
