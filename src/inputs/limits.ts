// Room the core keeps for outside inputs (issue 9 §1). The core is sized once at load
// (ARCHITECTURE principle 3), before anyone knows whether a run gets inputs: replay builds the
// platform from the scenario and only then installs the recorded sources' handlers
// (installInputHandlers). So every platform keeps room for one CAN input node per bus and for
// NET_INPUT_HOSTS_MAX virtual Ethernet hosts; unused room changes no event.

/** Virtual external Ethernet hosts (--net-input sources with distinct MACs) a run may have. */
export const NET_INPUT_HOSTS_MAX = 4;

export interface InputRoom {
  canNodes: number;
  switchPorts: number;
  macs: number;
  links: number;
}

/** The core capacity the inputs of a scenario with canBusCount CAN buses may need. */
export function inputRoom(canBusCount: number): InputRoom {
  return { canNodes: canBusCount, switchPorts: NET_INPUT_HOSTS_MAX, macs: NET_INPUT_HOSTS_MAX, links: NET_INPUT_HOSTS_MAX };
}
