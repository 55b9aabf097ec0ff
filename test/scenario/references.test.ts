// Load-time cross-references of the guest programs (issue #8): a MAC no net device has, or a
// route for an id no ECU on the gateway's buses sends, used to load and run silently wrong
// (every frame a switch_drop; a frame never bridged). Each is now one line naming the field.
import { describe, expect, test } from 'vitest';
import { bridgeScenario, CLUSTER_MAC, GATEWAY_MAC } from '../guests/scenarios.js';
import { problems } from './problems.js';

const ESC = { name: 'esc', bus: 'can0', frames: [{ canId: 0x0c1, periodNs: '10ms', signal: 'speed' as const }] };

describe('guest cross-references are checked when the scenario loads', () => {
  test('the bridge scenario of these tests loads (the checks accept what exists)', () => {
    expect(problems(bridgeScenario({ buses: ['can0'], ecus: [ESC], gateway: { routes: [{ canId: 0x0c1, to: [CLUSTER_MAC] }] } }))).toEqual([]);
  });

  test('a route whose canId no ECU on the gateway\'s buses sends', () => {
    const input = bridgeScenario({ buses: ['can0'], ecus: [ESC], gateway: { routes: [{ canId: 0x123 }] } });
    expect(problems(input)).toEqual(['vms[1].program.routes[0].canId: no ECU on can0 sends 0x123']);
  });

  test('an id sent on a bus the gateway is not on does not count', () => {
    const input = bridgeScenario({
      buses: ['can0', 'can1'], gatewayBuses: ['can1'],
      ecus: [ESC, { name: 'body', bus: 'can1', frames: [{ canId: 0x3b0, periodNs: '100ms', signal: 'counter' }] }],
      gateway: { routes: [{ canId: 0x0c1 }, { canId: 0x0c1, extended: true }] },
    });
    expect(problems(input)).toEqual([
      'vms[1].program.routes[0].canId: no ECU on can1 sends 0x0C1',
      'vms[1].program.routes[1].canId: no ECU on can1 sends 0xC1 (extended)',
    ]);
  });

  test('a standard id above 0x7FF, a duplicate route, a gateway without CAN devices', () => {
    const tooBig = bridgeScenario({ buses: ['can0'], ecus: [ESC], gateway: { routes: [{ canId: 0x800 }, { canId: 0x0c1 }, { canId: 0x0c1 }] } });
    expect(problems(tooBig)).toEqual([
      'vms[1].program.routes[0].canId: a standard (11-bit) CAN id is at most 0x7FF, got 0x800; set "extended": true for a 29-bit id',
      'vms[1].program.routes[2].canId: 0x0C1 is already routed by routes[1]; list its MACs in one route\'s "to"',
    ]);
    const noCan = bridgeScenario({ buses: ['can0'], gatewayBuses: [], ecus: [ESC], gateway: { routes: [{ canId: 0x0c1 }] } });
    expect(problems(noCan)).toEqual([
      'vms[1].program.routes[0].canId: the gateway has no CAN device, so nothing sends 0x0C1; add a "can" device',
    ]);
  });

  test('forwardTo, a route\'s to and an infotainment peer must be MACs of net devices', () => {
    const known = `net devices have ${CLUSTER_MAC}, ${GATEWAY_MAC}`;
    const input = bridgeScenario({
      buses: ['can0'], ecus: [ESC],
      gateway: { forwardTo: ['02:00:00:00:00:09'], routes: [{ canId: 0x0c1, to: [CLUSTER_MAC, '02:00:00:00:00:0a'] }] },
      extraVms: [{ name: 'ivi', ecu: 'IVI1', program: { type: 'infotainment', peer: '02:00:00:00:00:0b' } }],
    });
    expect(problems(input)).toEqual([
      `vms[1].program.forwardTo[0]: no net device has MAC 02:00:00:00:00:09 (${known})`,
      `vms[1].program.routes[0].to[1]: no net device has MAC 02:00:00:00:00:0a (${known})`,
      `vms[2].program.peer: no net device has MAC 02:00:00:00:00:0b (${known})`,
    ]);
  });

  test('MACs compare case-insensitively, as the switch does', () => {
    const input = bridgeScenario({ buses: ['can0'], ecus: [ESC], gateway: { forwardTo: [CLUSTER_MAC.toUpperCase()] } });
    expect(problems(input)).toEqual([]);
  });
});
