// The values of record's input flags, checked against the scenario before anything opens:
//   --can-input <bus>=<file>              a candump -l log, played at its relative times
//   --can-input <bus>=tcp:[<host>:]<port>  candump lines over TCP, stamped when they arrive
//   --net-input <mac>=udp:[<host>:]<port>,to=<mac>
//                                          each datagram, the payload of an Ethernet frame from
//                                          the outside host <mac> to the VM MAC after to=
// Hosts default to loopback (127.0.0.1); port 0 asks the system for a free one.

import type { Scenario } from '../scenario/schema.js';
import type { ManifestInput } from '../trace/manifest-file.js';
import { InputSourceError } from './errors.js';
import { NET_INPUT_HOSTS_MAX } from './limits.js';

export const LOOPBACK = '127.0.0.1';
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function fail(flag: string, value: string, what: string): never {
  throw new InputSourceError(`${flag} ${value}: ${what}`);
}

function splitSpec(flag: string, value: string, example: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) fail(flag, value, `expected ${example}`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** "[host:]port" after "tcp:"/"udp:"; the port 0..65535. */
function endpoint(flag: string, value: string, text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = colon < 0 ? LOOPBACK : text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portText = colon < 0 ? text : text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) fail(flag, value, `port "${portText}" is not a number from 0 to 65535`);
  if (host === '') fail(flag, value, 'empty host before the port');
  return { host, port: Number(portText) };
}

export function parseCanInput(value: string, scenario: Scenario): ManifestInput {
  const flag = '--can-input';
  const [bus, target] = splitSpec(flag, value, '<bus>=<candump file> or <bus>=tcp:<port>');
  if (!scenario.canBuses.some((b) => b.name === bus)) {
    const known = scenario.canBuses.map((b) => b.name).join(', ') || 'none';
    fail(flag, value, `no CAN bus "${bus}" in scenario ${scenario.name} (its buses: ${known})`);
  }
  if (target.startsWith('tcp:')) return { source: value, flag, kind: 'tcp', bus, ...endpoint(flag, value, target.slice(4)) };
  if (target.startsWith('udp:')) fail(flag, value, 'CAN input comes from a file or tcp:<port>, not udp');
  return { source: value, flag, kind: 'file', bus, file: target };
}

function vmMacs(scenario: Scenario): { mac: string; vm: string }[] {
  return scenario.vms.flatMap((vm) =>
    vm.devices.flatMap((d) => (d.type === 'net' ? [{ mac: d.mac.toLowerCase(), vm: vm.name }] : [])),
  );
}

export function parseNetInput(value: string, scenario: Scenario): ManifestInput {
  const flag = '--net-input';
  const [macText, rest] = splitSpec(flag, value, '<mac>=udp:<port>,to=<mac of a VM>');
  const mac = macText.toLowerCase();
  if (!MAC.test(mac)) fail(flag, value, `"${macText}" is not a MAC address (six hex pairs: 02:00:00:00:00:99)`);
  if ((parseInt(mac.slice(0, 2), 16) & 1) !== 0) fail(flag, value, `${mac} is a group (multicast) address; an outside host needs a unicast MAC`);
  const [target, ...options] = rest.split(',');
  if (!target!.startsWith('udp:')) fail(flag, value, 'network input comes from udp:<port>');
  const macs = vmMacs(scenario);
  const listed = macs.map((m) => `${m.mac} (${m.vm})`).join(', ') || 'none';
  if (macs.some((m) => m.mac === mac)) fail(flag, value, `${mac} is a VM's MAC; give the outside host its own`);
  const to = options.find((o) => o.startsWith('to='))?.slice(3).toLowerCase();
  const unknown = options.find((o) => !o.startsWith('to='));
  if (unknown !== undefined) fail(flag, value, `unknown option "${unknown}" (the only one is to=<mac>)`);
  if (to === undefined) fail(flag, value, `say where the frames go: add ,to=<mac> of a VM's net device (${listed})`);
  if (!macs.some((m) => m.mac === to)) fail(flag, value, `to=${to} is no VM's net device in scenario ${scenario.name} (${listed})`);
  return { source: value, flag, kind: 'udp', mac, to, ...endpoint(flag, value, target!.slice(4)) };
}

/** Every input flag's value checked, in the order given; sources are unique by value. */
export function parseInputSpecs(canInputs: readonly string[], netInputs: readonly string[], scenario: Scenario): ManifestInput[] {
  const specs = [...canInputs.map((v) => parseCanInput(v, scenario)), ...netInputs.map((v) => parseNetInput(v, scenario))];
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.source)) fail(spec.flag, spec.source, 'given twice');
    seen.add(spec.source);
  }
  const hosts = new Set(specs.flatMap((s) => (s.mac !== undefined ? [s.mac] : [])));
  if (hosts.size > NET_INPUT_HOSTS_MAX) fail('--net-input', [...hosts].join(' '), `at most ${NET_INPUT_HOSTS_MAX} outside hosts (MACs) per run`);
  return specs;
}
