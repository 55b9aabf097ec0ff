// The gateway does what the scenario says (issue #8 point 2): it bridges from every CAN device it
// has, and routes by the scenario's ECUs and `routes`, not by a fixed table of ids.
import { describe, expect, test } from 'vitest';
import { runScenario } from './run-platform.js';
import { bridgeScenario, bridgedFrames, clusterSpeeds, GATEWAY_FIRST_CAN_DEV, GATEWAY_VM } from './scenarios.js';

const SECOND = 1_000_000_000;

describe('a gateway with two CAN devices on two buses (it listened only on the last one)', () => {
  // The regression input: speed on can0 (the gateway's first CAN device), rpm on can1.
  const input = bridgeScenario({
    buses: ['can0', 'can1'],
    ecus: [
      { name: 'esc', bus: 'can0', frames: [{ canId: 0x0c1, periodNs: '10ms', signal: 'speed' }] },
      { name: 'engine', bus: 'can1', frames: [{ canId: 0x1a0, periodNs: '20ms', signal: 'rpm' }] },
    ],
  });

  test('frames of both buses reach the gateway and are bridged; the cluster gets the speed from can0', async () => {
    const run = await runScenario(input, 2 * SECOND);
    const rx = run.of('can_rx').filter((e) => e.vm === GATEWAY_VM);
    const fromCan0 = rx.filter((e) => e.dev === GATEWAY_FIRST_CAN_DEV && e.queue === 0);
    const fromCan1 = rx.filter((e) => e.dev === GATEWAY_FIRST_CAN_DEV + 1 && e.queue === 1);
    expect(fromCan0.map((e) => e.id)).toEqual(fromCan0.map(() => 0x0c1));
    expect(fromCan1.map((e) => e.id)).toEqual(fromCan1.map(() => 0x1a0));
    expect(fromCan0.length).toBeGreaterThanOrEqual(199); // 10 ms for 2 s
    expect(fromCan1.length).toBeGreaterThanOrEqual(99); //  20 ms for 2 s
    // Every received frame is bridged (routes by default: speed and rpm), save one still pending.
    const bridged = bridgedFrames(run.logs('GW01', 'FWD'));
    expect(bridged).toBeLessThanOrEqual(fromCan0.length + fromCan1.length);
    expect(bridged).toBeGreaterThanOrEqual(fromCan0.length + fromCan1.length - 2);
    expect(run.logs('GW01', 'CAN')).toEqual([]);
    // The report at ~1 s: 6·99 hundredths of km/h → 5 (it stayed 0 when can0 was not listened to).
    const speeds = clusterSpeeds(run.dlt);
    expect(speeds.at(-1)![1]).toBeGreaterThanOrEqual(5);
  });

  test('the same two-bus scenario twice: the same events and logs (determinism of the new paths)', async () => {
    const [a, b] = [await runScenario(input, SECOND / 2), await runScenario(input, SECOND / 2)];
    expect(b.events).toEqual(a.events);
    expect(b.dlt.map((r) => [r.ts_ns, r.payload])).toEqual(a.dlt.map((r) => [r.ts_ns, r.payload]));
  });
});

describe('routing from the scenario (only 0x0C1 and 0x1A0 were ever routed)', () => {
  test('regression: an ECU frame "signal": "speed" on id 0x300 reaches the cluster, whose speed follows it', async () => {
    const input = bridgeScenario({
      buses: ['can0'],
      ecus: [{ name: 'esc', bus: 'can0', frames: [{ canId: 0x300, periodNs: '10ms', signal: 'speed' }] }],
    });
    const run = await runScenario(input, 3 * SECOND);
    expect(run.logs('GW01', 'CAN')).toEqual([]); // no "no route for CAN id 0x300"
    expect(run.logs('CLST', 'SIG')).toEqual([]); // no "vehicle speed signal stale"
    // The ECU's k-th frame (k = 0, 1, …) leaves at (k + 1) · 10 ms and carries 6·k hundredths
    // of km/h (src/platform/ecu.ts); the cluster reports whole km/h (floor). Its report lags a
    // frame by the gateway's and the network's latency, well under the 167 ms a km/h takes.
    const speeds = clusterSpeeds(run.dlt).filter(([ts]) => ts > SECOND / 2);
    expect(speeds.length).toBeGreaterThanOrEqual(2);
    for (const [ts, kph] of speeds) {
      const k = Math.floor(ts / 10_000_000) - 1;
      expect(Math.abs(kph - Math.floor((6 * k) / 100)), `at ${ts} ns`).toBeLessThanOrEqual(1);
    }
    expect(speeds.at(-1)![1]).toBeGreaterThanOrEqual(11); // the report at ~2 s
  });

  test('explicit routes: only the listed ids are bridged, as the route\'s signal', async () => {
    // The engine ECU declares 0x1A0 as rpm; the route says the cluster shall read it as speed.
    const input = bridgeScenario({
      buses: ['can0'],
      ecus: [
        { name: 'esc', bus: 'can0', frames: [{ canId: 0x0c1, periodNs: '10ms', signal: 'speed' }] },
        { name: 'engine', bus: 'can0', frames: [{ canId: 0x1a0, periodNs: '20ms', signal: 'rpm' }] },
      ],
      gateway: { routes: [{ canId: 0x1a0, signal: 'speed' }] },
    });
    const run = await runScenario(input, 2 * SECOND);
    expect(run.logs('GW01', 'CAN')).toEqual(['no route for CAN id 0xc1']);
    // rpm = 800 + (7k mod 5200) read as speed (÷ 100): never below 8 once the first frame is in.
    const speeds = clusterSpeeds(run.dlt).filter(([ts]) => ts > SECOND / 2);
    expect(speeds.length).toBeGreaterThanOrEqual(1);
    for (const [, kph] of speeds) expect(kph).toBeGreaterThanOrEqual(8);
  });

  test('an extended id is routed by its 29-bit id and flag', async () => {
    const input = bridgeScenario({
      buses: ['can0'],
      ecus: [{ name: 'esc', bus: 'can0', frames: [{ canId: 0x0c1, extended: true, periodNs: '10ms', signal: 'counter' }] }],
      gateway: { routes: [{ canId: 0x0c1, extended: true, signal: 'speed' }] },
    });
    const run = await runScenario(input, SECOND);
    expect(run.logs('GW01', 'CAN')).toEqual([]);
    expect(bridgedFrames(run.logs('GW01', 'FWD'))).toBeGreaterThanOrEqual(98);
    expect(run.of('can_tx').map((e) => e.id >>> 0)).toContain(0x8000_00c1);
  });
});
