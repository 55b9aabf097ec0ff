/**
 * Control messages (message type 3): a u32 service id in the message's byte order; responses
 * then carry a status byte; the rest is service-specific data (dlt_protocol.h, dlt-daemon's
 * DltService*Response structs). Time messages (subtype 3) usually carry no payload at all.
 */
import { readU32 } from './bytes.js';
import { DltControlType } from './protocol.js';
import { controlServiceName, controlStatusName } from './render-payload.js';

export interface DltControlPayload {
  serviceId: number;
  /** dlt-convert's name: "get_log_info", "service(3842)" … */
  serviceName: string;
  /** responses only */
  status?: number;
  statusName?: string;
  /** bytes after the service id (and status) */
  data: Uint8Array;
}

/** Splits a control payload; undefined when it is shorter than a service id. */
export function decodeControlPayload(
  payload: Uint8Array, opts: { bigEndian: boolean; subtype: number },
): DltControlPayload | undefined {
  if (payload.length < 4) return undefined;
  const serviceId = readU32(payload, 0, opts.bigEndian);
  const result: DltControlPayload = {
    serviceId, serviceName: controlServiceName(serviceId), data: payload.subarray(4),
  };
  if (opts.subtype === DltControlType.RESPONSE && payload.length >= 5) {
    result.status = payload[4]!;
    result.statusName = controlStatusName(payload[4]!);
    result.data = payload.subarray(5);
  }
  return result;
}
