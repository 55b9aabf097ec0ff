// Where outside inputs enter a platform (issue 9 §1): the handlers of the input kinds, and the
// input nodes and hosts they need, built from the manifest's `inputs` list alone. Record calls
// this with the sources it opened; replay calls it with the recorded manifest's list and feeds
// the `inputs` rows back (recordedFeed): neither path opens anything here, and both end in
// Platform.applyInput, so a recorded input and its replay take the same path.
//
//   can_frame  onto the source's bus from its input node (one node per bus with inputs): a data
//              frame as it is; a remote frame as a frame without data field (the core models
//              data frames only: a remote frame's bit length is that of a 0-byte data frame,
//              the RTR bit and the requested length stay in the input row)
//   can_error  nothing on the bus (the core models no error signalling); the input row and its
//              `input` event show when the capture's controller reported it
//   eth_frame  from the source's virtual host over its own link into the switch (bus/host.ts)

import { CAN_RTR_FLAG } from '../formats/candump.js';
import { macToBigInt } from '../guests/frames.js';
import { InputError, switchPortsUsed, type Platform } from '../platform/platform.js';
import type { ManifestInput } from '../trace/manifest-file.js';
import { CanInputNode } from './can-input-node.js';
import { decodeCanInput, ETH_HEADER_BYTES, INPUT_KIND } from './encoding.js';
import { InputSourceError } from './errors.js';
import { NET_INPUT_HOSTS_MAX } from './limits.js';

/** Attaches what `inputs` name and registers the input kinds' handlers. Call before boot. */
export function installInputHandlers(platform: Platform, inputs: readonly ManifestInput[]): void {
  if (inputs.length === 0) return; // no node, no host: a run without inputs is left as it was
  const canNodes = attachCanNodes(platform, inputs);
  const hostLinks = attachHosts(platform, inputs);
  platform.onInput(INPUT_KIND.canFrame, (data, source) => {
    const node = lookup(canNodes, source, INPUT_KIND.canFrame);
    const frame = decodeCanInput(data);
    if (frame === null || frame.type === 'fd' || frame.type === 'error') {
      throw new InputError(`input from ${source}: ${data.length} bytes are not a classic can_frame encoding`);
    }
    if (frame.type === 'remote') node.send((frame.canId & ~CAN_RTR_FLAG) >>> 0, new Uint8Array(0));
    else node.send(frame.canId, frame.data);
  });
  platform.onInput(INPUT_KIND.canError, (data, source) => {
    lookup(canNodes, source, INPUT_KIND.canError);
    if (decodeCanInput(data)?.type !== 'error') throw new InputError(`input from ${source}: not a can_error encoding`);
  });
  platform.onInput(INPUT_KIND.ethFrame, (data, source) => {
    const link = lookup(hostLinks, source, INPUT_KIND.ethFrame);
    if (data.length < ETH_HEADER_BYTES || data.length > platform.core.limits.frameBytesMax) {
      throw new InputError(`input from ${source}: a ${data.length}-byte eth_frame (14..${platform.core.limits.frameBytesMax})`);
    }
    platform.core.hostSend(link, data);
  });
}

function lookup<T>(targets: Map<string, T>, source: string, kind: string): T {
  const target = targets.get(source);
  if (target === undefined) throw new InputError(`input from ${source}: no ${kind} source of that name in the manifest's inputs`);
  return target;
}

/** One input node per bus that has CAN sources; source name -> its bus's node. */
function attachCanNodes(platform: Platform, inputs: readonly ManifestInput[]): Map<string, CanInputNode> {
  const { scenario, core, engine } = platform;
  const byBus = new Map<string, CanInputNode>();
  const bySource = new Map<string, CanInputNode>();
  for (const input of inputs.filter((i) => i.flag === '--can-input')) {
    const busIndex = scenario.canBuses.findIndex((b) => b.name === input.bus);
    if (busIndex < 0) {
      const known = scenario.canBuses.map((b) => b.name).join(', ') || 'none';
      throw new InputSourceError(`--can-input ${input.source}: no CAN bus "${input.bus}" in scenario ${scenario.name} (its buses: ${known})`);
    }
    let node = byBus.get(input.bus!);
    if (node === undefined) {
      // Bus indices are the scenario's order (Platform.build creates them so; CAN_BUS_COLUMN).
      const index = core.canAttach({ dev: -1, vm: -1, bus: busIndex, txQueue: -1, rxQueue: -1 });
      node = new CanInputNode(core, engine, index, input.bus!, scenario.canBuses[busIndex]!.bitsPerSecond);
      byBus.set(input.bus!, node);
    }
    bySource.set(input.source, node);
  }
  return bySource;
}

/** One virtual host (own link and switch port) per --net-input MAC; source name -> its link. */
function attachHosts(platform: Platform, inputs: readonly ManifestInput[]): Map<string, number> {
  const { scenario, core } = platform;
  const byMac = new Map<string, number>();
  const bySource = new Map<string, number>();
  const vmMacs = new Set(
    scenario.vms.flatMap((vm) => vm.devices.flatMap((d) => (d.type === 'net' ? [d.mac.toLowerCase()] : []))),
  );
  for (const input of inputs.filter((i) => i.flag === '--net-input')) {
    const mac = input.mac!.toLowerCase();
    if (vmMacs.has(mac)) throw new InputSourceError(`--net-input ${input.source}: ${mac} is a VM's MAC in scenario ${scenario.name}; give the outside host its own`);
    let link = byMac.get(mac);
    if (link === undefined) {
      if (byMac.size >= NET_INPUT_HOSTS_MAX) throw new InputSourceError(`--net-input ${input.source}: at most ${NET_INPUT_HOSTS_MAX} outside hosts (MACs) per run`);
      // Host ports follow the devices' ports and the spare one the core keeps (coreLimitsFor).
      const port = switchPortsUsed(scenario) + 1 + byMac.size;
      link = core.linkCreate(scenario.network.latencyNs, scenario.network.bitsPerSecond);
      core.switchHostPort(port, link);
      core.switchMac(macToBigInt(mac), port);
      byMac.set(mac, link);
    }
    bySource.set(input.source, link);
  }
  return bySource;
}
