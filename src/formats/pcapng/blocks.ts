// pcapng blocks (IETF draft-ietf-opsawg-pcapng, "PCAP Next Generation Dump File Format"),
// written little-endian with the byte-order magic saying so (§4.1). Every block is
//   u32 block type | u32 block total length | body | options | u32 block total length
// with the body and each option padded to 32 bits (§3.1, §3.5). Only what the export needs:
// the Section Header Block (§4.1), Interface Description Blocks (§4.2) with if_name,
// if_description and if_tsresol, and Enhanced Packet Blocks (§4.3).

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** LINKTYPE_ETHERNET: IEEE 802.3 frames from the destination MAC on, no FCS here. */
export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_CAN_SOCKETCAN: a 16-byte-style SocketCAN header (socketcan.ts) then the data. */
export const LINKTYPE_CAN_SOCKETCAN = 227;
const OPT_ENDOFOPT = 0;
const EPB_FLAGS = 2;
/** epb_flags bits 0-1 (§4.3.1): the packet's direction on the interface. */
export const EPB_INBOUND = 1;
export const EPB_OUTBOUND = 2;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
/** if_tsresol 9: timestamps in units of 10^-9 s (§4.2: MSB 0 = a power of 10). */
const TSRESOL_NS = 9;

/** An epb_flags value: a u32 in the section's byte order (little-endian here). */
function flagsValue(flags: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, flags, true);
  return out;
}

/** epb_flags options per direction, built once (an export writes one per packet). */
const EPB_FLAG_OPTIONS: readonly OptionBytes[][] = [
  [],
  [{ code: EPB_FLAGS, value: flagsValue(EPB_INBOUND) }],
  [{ code: EPB_FLAGS, value: flagsValue(EPB_OUTBOUND) }],
];

const pad4 = (n: number): number => (n + 3) & ~3;
const utf8 = new TextEncoder();

interface OptionBytes {
  code: number;
  value: Uint8Array;
}

function optionsBytes(options: OptionBytes[]): number {
  if (options.length === 0) return 0;
  return options.reduce((n, o) => n + 4 + pad4(o.value.length), 0) + 4; // + opt_endofopt
}

/**
 * Writes blocks into a buffer handed to `flush` in chunks of about `chunkBytes` (a capture of a
 * long run does not sit in memory whole); `flush` must be done with a chunk when it returns.
 */
export class PcapngWriter {
  private buf: Buffer;
  private view: DataView;
  private at = 0;
  bytesWritten = 0;

  constructor(
    private readonly flush: (chunk: Uint8Array) => void,
    private readonly chunkBytes = 1 << 20,
  ) {
    this.buf = Buffer.alloc(chunkBytes + 65536 + 64);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** §4.1: one section of unknown length (-1), written by `application`. */
  sectionHeader(application: string): void {
    const options = [{ code: SHB_USERAPPL, value: utf8.encode(application) }];
    const total = 28 + optionsBytes(options);
    this.room(total);
    this.u32(BLOCK_SHB).u32(total).u32(BYTE_ORDER_MAGIC).u16(1).u16(0);
    this.u32(0xffffffff).u32(0xffffffff); // section length -1: not given
    this.options(options).u32(total);
  }

  /** §4.2: the next interface (ids count from 0 in the order written), ns timestamps. */
  interfaceDescription(linkType: number, name: string, description: string, snapLen: number): void {
    const options: OptionBytes[] = [
      { code: IF_NAME, value: utf8.encode(name) },
      { code: IF_DESCRIPTION, value: utf8.encode(description) },
      { code: IF_TSRESOL, value: Uint8Array.of(TSRESOL_NS) },
    ];
    const total = 20 + optionsBytes(options);
    this.room(total);
    this.u32(BLOCK_IDB).u32(total).u16(linkType).u16(0).u32(snapLen);
    this.options(options).u32(total);
  }

  /**
   * §4.3: one packet on interface `ifId` at `tsNs` (units of if_tsresol: ns). `head` (may be
   * empty) and `data` are written back to back as the captured bytes; `direction` (EPB_INBOUND,
   * EPB_OUTBOUND) goes into epb_flags, 0 writes none.
   */
  enhancedPacket(ifId: number, tsNs: bigint, head: Uint8Array, data: Uint8Array, direction = 0): void {
    const captured = head.length + data.length;
    const options = EPB_FLAG_OPTIONS[direction] ?? [{ code: EPB_FLAGS, value: flagsValue(direction) }];
    const total = 32 + pad4(captured) + optionsBytes(options);
    this.room(total);
    this.u32(BLOCK_EPB).u32(total).u32(ifId);
    this.u32(Number(tsNs >> 32n)).u32(Number(tsNs & 0xffffffffn));
    this.u32(captured).u32(captured);
    this.bytes(head).bytes(data).zeros(pad4(captured) - captured);
    this.options(options).u32(total);
  }

  /** Hands what is buffered to `flush`. */
  end(): void {
    this.drain();
  }

  /** Before a block: a full chunk goes out first; a block larger than the buffer gets its own. */
  private room(bytes: number): void {
    if (this.at >= this.chunkBytes || this.at + bytes > this.buf.length) this.drain();
    if (bytes > this.buf.length) {
      this.buf = Buffer.alloc(bytes);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
  }

  private drain(): void {
    if (this.at === 0) return;
    this.flush(this.buf.subarray(0, this.at)); // consumed before it returns (the buffer is reused)
    this.bytesWritten += this.at;
    this.at = 0;
  }

  private u32(v: number): this {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }
  private u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }
  private bytes(b: Uint8Array): this {
    this.buf.set(b, this.at);
    this.at += b.length;
    return this;
  }
  private zeros(n: number): this {
    this.buf.fill(0, this.at, this.at + n);
    this.at += n;
    return this;
  }
  private options(options: OptionBytes[]): this {
    if (options.length === 0) return this;
    for (const o of options) {
      this.u16(o.code).u16(o.value.length).bytes(o.value).zeros(pad4(o.value.length) - o.value.length);
    }
    return this.u16(OPT_ENDOFOPT).u16(0);
  }
}
