// A scenario of one VM whose single vCPU always has work (a 20 ms frame every 16.7 ms), alone on
// the default 2 pCPUs: the fault and state tests use it to reason about one busy vCPU.

export function busyVm(faults: unknown[]): Record<string, unknown> {
  return {
    name: 'busy', seed: 1, durationNs: '1s',
    vms: [{
      name: 'busy', ecu: 'BUSY', devices: [{ type: 'console' }],
      program: { type: 'cluster', frameCostNs: '20ms', frameCostJitterNs: 0, framebufferBytes: 0 },
    }],
    faults,
  };
}
