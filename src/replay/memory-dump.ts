// `replay --memory <vm>:<gpa>:<len>`: guest memory at the stopping point, as hex + ASCII in
// xxd's layout (16 bytes a line, addresses are guest-physical). Read through the VM's page
// tables without its TLB (Core.guestPeek), so dumping changes neither TLB counters nor rows.

import type { Platform } from '../platform/platform.js';
import { FAULT_CODES } from '../core/codes.js';
import { TravelError } from './travel-error.js';

/** Largest dump: 64 KiB (4096 lines) is a page table's worth and still readable. */
export const MEMORY_DUMP_BYTES_MAX = 64 * 1024;

export interface MemorySpec {
  text: string; // as the user wrote it, for messages
  vm: string; //   index or name, resolved against the scenario by dumpMemory
  gpa: number;
  len: number;
}

export interface MemoryDump {
  vm: number;
  vmName: string;
  gpa: number;
  bytes: Uint8Array;
}

const USAGE = 'expected <vm>:<gpa>:<len>, e.g. 0:0x10000:256 or cluster:4096:64 (gpa and len decimal or 0x hex)';

function parseNumber(text: string): number | null {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

export function parseMemorySpec(text: string): MemorySpec {
  const parts = text.split(':');
  if (parts.length !== 3 || parts[0] === '') throw new TravelError(`--memory "${text}": ${USAGE}`);
  const gpa = parseNumber(parts[1]!);
  if (gpa === null) throw new TravelError(`--memory "${text}": gpa "${parts[1]}" is not a number; ${USAGE}`);
  const len = parseNumber(parts[2]!);
  if (len === null || len < 1 || len > MEMORY_DUMP_BYTES_MAX) {
    throw new TravelError(`--memory "${text}": len "${parts[2]}" must be 1..${MEMORY_DUMP_BYTES_MAX} bytes (64 KiB)`);
  }
  return { text, vm: parts[0]!, gpa, len };
}

function resolveVm(platform: Platform, spec: MemorySpec): number {
  const names = platform.vms.map((vm) => vm.vmName);
  const index = /^\d+$/.test(spec.vm) ? Number(spec.vm) : names.indexOf(spec.vm);
  if (index < 0 || index >= names.length) {
    const known = names.map((n, i) => `${i} ${n}`).join(', ');
    throw new TravelError(`--memory "${spec.text}": no vm "${spec.vm}" in this trace (vms: ${known})`);
  }
  return index;
}

export function dumpMemory(platform: Platform, spec: MemorySpec): MemoryDump {
  const vm = resolveVm(platform, spec);
  const bytes = platform.core.guestPeek(vm, spec.gpa, spec.len);
  if (typeof bytes === 'number') {
    const { memory, vmName } = platform.vms[vm]!;
    const fault = FAULT_CODES[-bytes] ?? `fault ${-bytes}`;
    const range = `[0x${spec.gpa.toString(16)}, 0x${(spec.gpa + spec.len).toString(16)})`;
    throw new TravelError(
      `--memory "${spec.text}": ${range} is not all mapped readable in vm ${vmName} (${fault}); ` +
        `its RAM is [0, 0x${memory.ramBytes.toString(16)})`,
    );
  }
  return { vm, vmName: platform.vms[vm]!.vmName, gpa: spec.gpa, bytes };
}

/** xxd's layout: `00001000: 4865 6c6c 6f00 ...  Hello.` (printable ASCII, others as '.'). */
export function formatHexDump(dump: MemoryDump): string {
  const lines: string[] = [`vm ${dump.vm} (${dump.vmName}) gpa 0x${dump.gpa.toString(16)}, ${dump.bytes.length} bytes`];
  const width = Math.max(8, (dump.gpa + dump.bytes.length).toString(16).length);
  for (let off = 0; off < dump.bytes.length; off += 16) {
    const row = dump.bytes.subarray(off, off + 16);
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (i > 0 && i % 2 === 0) hex += ' ';
      const b = row[i];
      hex += b === undefined ? '  ' : b.toString(16).padStart(2, '0');
      if (b !== undefined) ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(`${(dump.gpa + off).toString(16).padStart(width, '0')}: ${hex}  ${ascii}`);
  }
  return lines.join('\n') + '\n';
}
