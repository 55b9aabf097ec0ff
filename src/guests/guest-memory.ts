// Guest-physical memory as a guest's drivers see it: a bump allocator over the VM's RAM for
// rings and buffer pools, set up once at boot (guests allocate nothing while running).
//
//   gpa 0x0000_0000  steal-time page (Arm DEN0057A stolen-time structure, 64 bytes used)
//   gpa 0x0000_1000  rings and buffer pools, in the order the drivers ask for them
//   ...              free
//   gpa ramBytes     end of RAM (anything above is outside the guest: a fault if touched)

export const PAGE_BYTES = 4096;
export const STEAL_PAGE_GPA = 0;

export class GuestMemory {
  private nextGpa = PAGE_BYTES;

  constructor(
    readonly vm: number,
    readonly ramBytes: number,
  ) {}

  /** Reserves bytes aligned to `align` (a power of two); throws if RAM is exhausted. */
  alloc(bytes: number, align = 16): number {
    const gpa = (this.nextGpa + align - 1) & ~(align - 1);
    if (gpa + bytes > this.ramBytes) {
      throw new Error(`vm ${this.vm}: guest RAM exhausted (${bytes} bytes at 0x${gpa.toString(16)}; raise ramMiB)`);
    }
    this.nextGpa = gpa + bytes;
    return gpa;
  }

  get usedBytes(): number {
    return this.nextGpa;
  }
}
