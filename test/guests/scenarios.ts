// Small scenarios for the guest tests: a cluster fed by a gateway whose CAN devices and ECUs each
// test chooses. Devices are numbered as the platform numbers them (src/scenario/topology.ts):
// cluster 0 console, 1 net; gateway 2 console, 3 net, 4.. its CAN devices in order.

export const CLUSTER_MAC = '02:00:00:00:00:01';
export const GATEWAY_MAC = '02:00:00:00:00:03';
export const GATEWAY_VM = 1;
export const GATEWAY_FIRST_CAN_DEV = 4;

export interface Frame {
  canId: number;
  extended?: boolean;
  periodNs: string | number;
  signal: 'counter' | 'speed' | 'rpm' | 'random';
  dlc?: number;
}

export interface BridgeOptions {
  buses: string[];
  ecus: { name: string; bus: string; frames: Frame[] }[];
  gatewayBuses?: string[]; // default: every bus, in order
  gateway?: Record<string, unknown>; // extra gateway program fields (routes, forwardTo …)
  extraVms?: unknown[];
}

export function bridgeScenario(o: BridgeOptions): Record<string, unknown> {
  const gatewayBuses = o.gatewayBuses ?? o.buses;
  return {
    name: 'bridge',
    seed: 3,
    canBuses: o.buses.map((name) => ({ name, bitsPerSecond: 500_000 })),
    ecus: o.ecus,
    vms: [
      {
        name: 'cluster', ecu: 'CLST', priority: 90,
        devices: [{ type: 'console' }, { type: 'net', mac: CLUSTER_MAC }],
        program: { type: 'cluster' },
      },
      {
        name: 'gateway', ecu: 'GW01', priority: 20,
        devices: [{ type: 'console' }, { type: 'net', mac: GATEWAY_MAC }, ...gatewayBuses.map((bus) => ({ type: 'can', bus }))],
        program: { type: 'gateway', forwardTo: [CLUSTER_MAC], ...o.gateway },
      },
      ...(o.extraVms ?? []),
    ],
  };
}

/** The cluster's once-a-second report "frames N misses M speed_kph S": [true time ns, S]. */
export function clusterSpeeds(dlt: { ecu: string; ctid?: string | null; payload: string; ts_ns: unknown }[]): [number, number][] {
  return dlt
    .filter((r) => r.ecu === 'CLST' && r.ctid === 'REND' && r.payload.startsWith('frames '))
    .map((r) => [Number(r.ts_ns), Number(/speed_kph (\d+)/.exec(r.payload)![1])]);
}

/** Sum of N over the gateway's "bridged N of M frames" logs. */
export function bridgedFrames(logs: string[]): number {
  return logs.reduce((n, text) => n + Number(/^bridged (\d+) of/.exec(text)?.[1] ?? 0), 0);
}
