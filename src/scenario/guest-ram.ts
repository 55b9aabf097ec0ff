// Guest RAM a VM needs at boot for its devices, computed with the drivers' own constants and
// allocator, so the load-time check (runnable.ts) and the drivers cannot disagree.

import { CAN_QUEUE_SIZE, CAN_SLOT_BYTES } from '../devices/can.js';
import { CONSOLE_QUEUE_SIZE, CONSOLE_SLOT_BYTES } from '../devices/console.js';
import { NET_QUEUE_SIZE, NET_SLOT_BYTES } from '../devices/net.js';
import { GuestMemory, PAGE_BYTES } from '../guests/guest-memory.js';
import { ringBytes } from '../guests/queue-driver.js';

type DeviceType = 'console' | 'net' | 'can';

/** The queues each device's guest driver sets up (src/devices/*.ts): [descriptors, slot bytes]. */
const DEVICE_QUEUES: Record<DeviceType, [number, number][]> = {
  console: [[CONSOLE_QUEUE_SIZE, CONSOLE_SLOT_BYTES]],
  net: [[NET_QUEUE_SIZE, NET_SLOT_BYTES], [NET_QUEUE_SIZE, NET_SLOT_BYTES]],
  can: [[CAN_QUEUE_SIZE, CAN_SLOT_BYTES], [CAN_QUEUE_SIZE, CAN_SLOT_BYTES]],
};

/**
 * Guest RAM a VM's drivers take at boot, in the order they take it: the steal-time page at 0,
 * a scratch page (src/platform/vm.ts), then per device and queue its rings (VIRTIO 1.2 §2.7) and
 * buffer pool (src/guests/queue-driver.ts), with the same alignments.
 */
export function guestRamNeededBytes(devices: readonly { type: DeviceType }[]): number {
  const memory = new GuestMemory(-1, Number.MAX_SAFE_INTEGER);
  memory.alloc(PAGE_BYTES, PAGE_BYTES);
  for (const device of devices) {
    for (const [size, slotBytes] of DEVICE_QUEUES[device.type]) {
      const ring = ringBytes(size);
      memory.alloc(ring.desc, 16);
      memory.alloc(ring.avail, 2);
      memory.alloc(ring.used, 4);
      memory.alloc(slotBytes * size, 64);
    }
  }
  return memory.usedBytes;
}

