/*
 * C reference of the core's split-virtqueue cycle (issue 10 §4), for the side-by-side figure
 * "WASM virtqueue cycle = N.NN x the C reference" in `npm run bench` (bench/virtqueue-c.ts).
 *
 * The SAME work as assembly/virtio/bench.ts benchCycle, written plainly in C the way a careful
 * engineer would (compiled -O2, no intrinsics, no SIMD):
 *   - driver: 3-descriptor chains placed along the free list through the VM's stage-2, the avail
 *     slot written, the avail time stamped, a vq_avail row; avail idx published once per batch;
 *   - device: avail idx read and checked (VIRTIO 1.2 §2.7.6), each chain walked with a budget of
 *     the queue size and every check of assembly/virtio/walk.ts, every buffer page translated
 *     through the device's IOMMU domain into the segment table; used element written, a vq_used
 *     row with the latency; used idx and avail_event published;
 *   - driver: used elements reclaimed (id checked, §2.7.8.3), the chain freed, used_event set;
 *   - every guest address through a 64-entry direct-mapped TLB per context, a 3-level page-table
 *     walk and a tlb_miss row on a miss; rows go to ten struct-of-arrays trace columns with the
 *     core's soft limit, drained (counted and dropped) as Core.benchCycle does.
 * The state lives in plain structs and arrays, not in one linear memory: the core's layout is
 * its own business; this program owes it only the same rows, the same TLB counts and the same
 * ring bytes, which bench/virtqueue-c.ts checks before timing.
 *
 * Usage:
 *   virtqueue verify <chains> <now_ns> <out_file>   rows, TLB counts, ring bytes to out_file
 *   virtqueue time <chains> <warm_chains>           one timed run on stdout:
 *                                                   "<done> <rows> <wall_ns> <cpu_ns>"
 * Output file (little-endian): u32 magic 'VQC1', u32 rows, u32 rows_drained, u32 ring_bytes,
 *   i64 s2_hits, i64 s2_misses, i64 iommu_hits, i64 iommu_misses, then the columns in the
 *   core's order (ts i64, seq i64, vm i16, vcpu i16, kind u8, dev i16, queue i16, id i64,
 *   len i32, val i64), rows values each, then the ring bytes (desc table .. avail_event).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- limits of the bench (bench/virtqueue.ts LIMITS and QUEUE) ------------------------------ */
#define RAM_BYTES (1u << 20)
#define HOST_RAM_BYTES (2u * RAM_BYTES)
#define PT_PAGES 16
#define VM_COUNT 1
#define DEV_COUNT 1
#define CTX_COUNT (VM_COUNT + DEV_COUNT)
#define TRACE_CAPACITY (1 << 20)
#define SCRATCH_BYTES (64 * 1024)
#define QUEUE_SIZE 256
#define DESC_GPA 0x1000
#define AVAIL_GPA 0x3000
#define USED_GPA 0x4000

/* ---- assembly/layout.ts, mmu/pagetable.ts, virtio/spec.ts ----------------------------------- */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1 << PAGE_SHIFT)
#define PT_LEVELS 3
#define PT_BITS 9
#define INPUT_LIMIT ((int64_t)1 << (PAGE_SHIFT + PT_LEVELS * PT_BITS)) /* 2^39 */
#define PTE_VALID 1u
#define PTE_ADDR_MASK (~(uint64_t)0xFFF)
#define TLB_ENTRIES 64
#define SEG_MAX 256
#define STEP_ROWS_BASE (SEG_MAX + 64)
#define DESC_SIZE 16
#define DESC_F_NEXT 1u     /* §2.7.5 */
#define DESC_F_WRITE 2u    /* §2.7.5 */
#define DESC_F_INDIRECT 4u /* §2.7.5.3 */
#define POP_EMPTY (-65536)

/* Event kinds (assembly/trace/kinds.ts) and fault codes (assembly/faults.ts) used here. */
enum { K_VQ_AVAIL = 1, K_VQ_USED = 4, K_FAULT = 7, K_TLB_MISS = 8, KIND_LAST = 24 };
enum {
  F_DESC_INDEX_OUT_OF_RANGE = 1, F_DESC_CHAIN_LOOP = 2, F_ADDR_UNMAPPED = 3, F_PERMISSION = 4,
  F_READABLE_AFTER_WRITABLE = 5, F_NESTED_INDIRECT = 6, F_INDIRECT_WITH_NEXT = 7,
  F_INDIRECT_BAD_LEN = 8, F_AVAIL_IDX_JUMP = 9, F_QUEUE_FAILED = 10, F_CHAIN_TOO_LONG = 14,
};

/* Invariants of this program (the core's asserts): stay on, like the core's. */
#define CHECK(cond, msg)                                                                         \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      fprintf(stderr, "virtqueue.c: %s\n", msg);                                                 \
      exit(1);                                                                                   \
    }                                                                                            \
  } while (0)

/* ---- little-endian guest memory accessors (x86 and WASM are little-endian) ------------------ */
static inline uint16_t ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline int64_t ld64(const uint8_t *p) { int64_t v; memcpy(&v, p, 8); return v; }
static inline void st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void st64(uint8_t *p, int64_t v) { memcpy(p, &v, 8); }

/* ---- clock and trace columns (assembly/clock.ts, trace/columns.ts) -------------------------- */
static int64_t now_ns;
static int64_t seq_next;

typedef struct {
  int64_t *ts, *seq, *id, *val;
  int32_t *len;
  int16_t *vm, *vcpu, *dev, *queue;
  uint8_t *kind;
  int32_t count, soft, capacity;
} Trace;
static Trace tr;

/* Zeroed memory with every page touched here (a volatile write per page: gcc may turn
 * malloc + memset into calloc, which touches nothing), so no page fault lands in a timed loop;
 * the core's memory is touched by the bench's warm-up the same way. */
static void *alloc_zero(size_t bytes) {
  void *p = calloc(1, bytes);
  CHECK(p != NULL, "out of memory");
  for (size_t i = 0; i < bytes; i += 4096) ((volatile uint8_t *)p)[i] = 0;
  return p;
}

static int32_t step_rows_for(int32_t size) {
  return 2 * size + STEP_ROWS_BASE + (SCRATCH_BYTES >> PAGE_SHIFT);
}

static int trace_reserve_for(int32_t size) {
  int32_t reserve = step_rows_for(size);
  if (reserve > tr.capacity / 2) return 0;
  int32_t soft = tr.capacity - reserve;
  if (soft < tr.soft || tr.soft == 0) tr.soft = soft;
  return 1;
}

static void trace_init(int32_t capacity) {
  size_t n = (size_t)capacity;
  tr.ts = alloc_zero(n * 8); tr.seq = alloc_zero(n * 8);
  tr.id = alloc_zero(n * 8); tr.val = alloc_zero(n * 8);
  tr.len = alloc_zero(n * 4);
  tr.vm = alloc_zero(n * 2); tr.vcpu = alloc_zero(n * 2);
  tr.dev = alloc_zero(n * 2); tr.queue = alloc_zero(n * 2);
  tr.kind = alloc_zero(n);
  tr.capacity = capacity;
  tr.count = 0;
  tr.soft = 0;
  trace_reserve_for(0);
}

static inline int trace_room(void) { return tr.count < tr.soft; }

static void trace_row(int kind, int vm, int dev, int queue, int64_t id, int32_t len, int64_t val) {
  int32_t n = tr.count;
  CHECK(n < tr.capacity, "trace: a step wrote more rows than the reserve");
  CHECK(kind > 0 && kind <= KIND_LAST, "trace: unknown event kind");
  tr.ts[n] = now_ns;
  tr.seq[n] = seq_next++;
  tr.id[n] = id;
  tr.val[n] = val;
  tr.len[n] = len;
  tr.vm[n] = (int16_t)vm;
  tr.vcpu[n] = -1;
  tr.dev[n] = (int16_t)dev;
  tr.queue[n] = (int16_t)queue;
  tr.kind[n] = (uint8_t)kind;
  tr.count = n + 1;
}

/* ---- host RAM, page tables, translation contexts (assembly/mmu/) ---------------------------- */
typedef struct {
  int64_t tag; /* page number + 1; 0 = empty */
  uint32_t host; /* hpa of the page */
  uint32_t perm; /* bit 0 R, bit 1 W */
} TlbEntry;

typedef struct {
  int live;
  uint32_t root; /* byte offset of the root table in the pool */
  int vm, dev;
  int64_t hits, misses;
  TlbEntry tlb[TLB_ENTRIES];
} Ctx;

static uint8_t *host_ram;     /* HOST_RAM_BYTES + 16: the descriptor stage sits at the end */
static uint8_t *dirty;        /* a byte per host RAM page written (assembly/mmu/hostram.ts markDirty) */
static uint8_t *desc_stage;
static uint64_t *pt_pool;     /* PT_PAGES x 512 entries */
static uint32_t pt_used;
static uint32_t host_used;
static Ctx ctxs[CTX_COUNT];
static int xlate_fault;
static int64_t xlate_addr;
static int walk_levels;

static uint32_t pt_alloc(void) {
  CHECK(pt_used < PT_PAGES, "page tables: pool exhausted");
  return (pt_used++) << PAGE_SHIFT;
}

static inline uint64_t *pt_entry(uint32_t table, int64_t addr, int level) {
  int shift = PAGE_SHIFT + (PT_LEVELS - 1 - level) * PT_BITS;
  return &pt_pool[(table >> 3) + (size_t)((addr >> shift) & 511)];
}

/* Leaf entry for addr, or 0; at most PT_LEVELS steps. */
static uint64_t pt_lookup(uint32_t root, int64_t addr) {
  uint32_t table = root;
  walk_levels = 0;
  for (int level = 0; level < PT_LEVELS; level++) {
    walk_levels = level + 1;
    uint64_t e = *pt_entry(table, addr, level);
    if ((e & PTE_VALID) == 0) return 0;
    if (level == PT_LEVELS - 1) return e;
    table = (uint32_t)(e & PTE_ADDR_MASK);
  }
  return 0;
}

static uint64_t ctx_lookup(int ctx, int64_t addr) {
  if (addr < 0 || addr >= INPUT_LIMIT) return 0;
  return pt_lookup(ctxs[ctx].root, addr);
}

static void ctx_create(int ctx, int vm, int dev) {
  CHECK(!ctxs[ctx].live, "mmu: context created twice");
  ctxs[ctx].live = 1;
  ctxs[ctx].root = pt_alloc();
  ctxs[ctx].vm = vm;
  ctxs[ctx].dev = dev;
}

/* Set the leaf for one page (creating tables) and drop the page's TLB entry. */
static void ctx_set_page(int ctx, int64_t addr, uint64_t pte) {
  uint32_t table = ctxs[ctx].root;
  for (int level = 0; level < PT_LEVELS - 1; level++) {
    uint64_t *p = pt_entry(table, addr, level);
    if ((*p & PTE_VALID) == 0) *p = (uint64_t)pt_alloc() | PTE_VALID;
    table = (uint32_t)(*p & PTE_ADDR_MASK);
  }
  *pt_entry(table, addr, PT_LEVELS - 1) = pte;
  int64_t page = addr >> PAGE_SHIFT;
  TlbEntry *e = &ctxs[ctx].tlb[page & (TLB_ENTRIES - 1)];
  if (e->tag == page + 1) e->tag = 0;
}

static uint64_t pte_leaf(uint32_t hpa, int perm) {
  return (uint64_t)hpa | PTE_VALID | ((uint64_t)(perm & 3) << 1);
}

static void vm_create(int vm, uint32_t ram_bytes) {
  ctx_create(vm, vm, -1);
  uint32_t pages = ram_bytes >> PAGE_SHIFT;
  uint32_t hpa = host_used;
  CHECK(hpa + ram_bytes <= HOST_RAM_BYTES, "hostAlloc: host RAM pool exhausted");
  host_used += ram_bytes;
  for (uint32_t i = 0; i < pages; i++) {
    uint32_t off = i << PAGE_SHIFT;
    ctx_set_page(vm, off, pte_leaf(hpa + off, 3));
  }
}

static int dev_ctx(int dev) { return VM_COUNT + dev; }

static void iommu_create(int dev, int vm) { ctx_create(dev_ctx(dev), vm, dev); }

/* iova = gpa snapshot of the VM's mapping, permission = requested & the VM's. */
static void iommu_map_guest(int dev, int vm, int64_t gpa, int pages, int perm) {
  for (int i = 0; i < pages; i++) {
    int64_t addr = gpa + ((int64_t)i << PAGE_SHIFT);
    uint64_t pte = ctx_lookup(vm, addr);
    if ((pte & PTE_VALID) == 0) continue;
    int vm_perm = (int)((pte >> 1) & 3);
    ctx_set_page(dev_ctx(dev), addr, pte_leaf((uint32_t)(pte & PTE_ADDR_MASK), perm & vm_perm));
  }
}

static uint8_t *xlate_fail(int code, int64_t addr) {
  xlate_fault = code;
  xlate_addr = addr;
  return NULL;
}

static TlbEntry *tlb_fill(Ctx *c, int64_t addr) {
  c->misses++;
  uint64_t pte = pt_lookup(c->root, addr);
  int64_t page = addr >> PAGE_SHIFT;
  trace_row(K_TLB_MISS, c->vm, c->dev, -1, page << PAGE_SHIFT, 0, walk_levels);
  if ((pte & PTE_VALID) == 0) return NULL;
  TlbEntry *e = &c->tlb[page & (TLB_ENTRIES - 1)];
  e->tag = page + 1;
  e->host = (uint32_t)(pte & PTE_ADDR_MASK);
  e->perm = (uint32_t)((pte >> 1) & 3);
  return e;
}

/* Everything but a permitted TLB hit: range check, miss + walk, permission fault. */
static __attribute__((noinline)) uint8_t *dma_ptr_slow(int ctx, int64_t addr, int write) {
  if (addr < 0 || addr >= INPUT_LIMIT) return xlate_fail(F_ADDR_UNMAPPED, addr);
  Ctx *c = &ctxs[ctx];
  int64_t page = addr >> PAGE_SHIFT;
  TlbEntry *e = &c->tlb[page & (TLB_ENTRIES - 1)];
  if (e->tag == page + 1) {
    c->hits++;
  } else {
    e = tlb_fill(c, addr);
    if (e == NULL) return xlate_fail(F_ADDR_UNMAPPED, addr);
  }
  if ((e->perm & (write ? 2u : 1u)) == 0) return xlate_fail(F_PERMISSION, addr);
  if (write) dirty[e->host >> PAGE_SHIFT] = 1;
  return host_ram + e->host + (addr & 0xFFF);
}

/* Host pointer for addr, checking R (or W when `write`); NULL on a fault (code in xlate_fault). */
static inline uint8_t *dma_ptr(int ctx, int64_t addr, int write) {
  Ctx *c = &ctxs[ctx];
  int64_t page = addr >> PAGE_SHIFT;
  TlbEntry *e = &c->tlb[page & (TLB_ENTRIES - 1)];
  if (addr >= 0 && e->tag == page + 1 && (e->perm & (write ? 2u : 1u)) != 0) {
    c->hits++;
    if (write) dirty[e->host >> PAGE_SHIFT] = 1;
    return host_ram + e->host + (addr & 0xFFF);
  }
  return dma_ptr_slow(ctx, addr, write);
}

/* ---- the queue (assembly/virtio/queue.ts) ---------------------------------------------------- */
typedef struct {
  int vm, dev, index, size, dev_ctx;
  int event_idx, failed, fail_code;
  int64_t desc_gpa, avail_gpa, used_gpa;
  /* driver shadow */
  int drv_avail, drv_last_used, free_head, free_count;
  /* device shadow */
  int dev_last_avail, dev_used;
  int64_t avail_time[QUEUE_SIZE];
  uint16_t drv_next[QUEUE_SIZE];
  uint16_t drv_len[QUEUE_SIZE];
} Queue;

typedef struct {
  uint8_t *host;
  uint32_t len;
  uint32_t writable;
} Segment;

static Segment segs[SEG_MAX];
static int seg_n, seg_read, seg_write;
static int64_t walk_fault_addr;
/* Why the last reclaim stopped (layout.ts ST_STOP: 0 done, 1 trace, 2 scratch, 4 fault). */
static int stop_reason;

static void queue_row(const Queue *q, int kind, int64_t id, int32_t len, int64_t val) {
  trace_row(kind, q->vm, q->dev, q->index, id, len, val);
}

static int fail_queue(Queue *q, int code, int detail, int64_t addr) {
  q->failed = 1;
  q->fail_code = code;
  queue_row(q, K_FAULT, code, detail, addr);
  return -code;
}

static int refuse_failed(Queue *q) {
  queue_row(q, K_FAULT, F_QUEUE_FAILED, q->fail_code, 0);
  return -F_QUEUE_FAILED;
}

static int dma_fail(Queue *q, int detail) { return fail_queue(q, xlate_fault, detail, xlate_addr); }

static int drv_fault(Queue *q) {
  queue_row(q, K_FAULT, xlate_fault, 0, xlate_addr);
  return -xlate_fault;
}

static int range_mapped_rw(int vm, int64_t gpa, int64_t bytes) {
  if (gpa < 0) return 0;
  for (int64_t page = gpa >> PAGE_SHIFT; page <= (gpa + bytes - 1) >> PAGE_SHIFT; page++) {
    if ((ctx_lookup(vm, page << PAGE_SHIFT) & 7) != 7) return 0;
  }
  return 1;
}

static void zero16(int vm, int64_t gpa) {
  uint8_t *p = dma_ptr(vm, gpa, 1);
  CHECK(p != NULL, "queue: ring header unmapped after the mapping check");
  st16(p, 0);
}

/* vqCreate: the checks of queueFromState (§2.7 size, alignments, rings mapped RW), then reset. */
static void queue_create(Queue *q, int vm, int dev, int index, int size) {
  memset(q, 0, sizeof *q);
  q->vm = vm; q->dev = dev; q->index = index; q->size = size; q->dev_ctx = dev_ctx(dev);
  q->event_idx = 1;
  q->desc_gpa = DESC_GPA; q->avail_gpa = AVAIL_GPA; q->used_gpa = USED_GPA;
  CHECK(size >= 1 && size <= QUEUE_SIZE && (size & (size - 1)) == 0, "queue: bad size");
  CHECK(trace_reserve_for(size), "queue: trace capacity too small");
  CHECK(q->desc_gpa % 16 == 0 && q->avail_gpa % 2 == 0 && q->used_gpa % 4 == 0, "queue: align");
  CHECK(range_mapped_rw(vm, q->desc_gpa, (int64_t)DESC_SIZE * size), "queue: desc unmapped");
  CHECK(range_mapped_rw(vm, q->avail_gpa, 6 + 2 * (int64_t)size), "queue: avail unmapped");
  CHECK(range_mapped_rw(vm, q->used_gpa, 6 + 8 * (int64_t)size), "queue: used unmapped");
  q->free_count = size;
  for (int d = 0; d < size; d++) q->drv_next[d] = (uint16_t)(d + 1 < size ? d + 1 : 0);
  zero16(vm, q->avail_gpa);
  zero16(vm, q->avail_gpa + 2);
  zero16(vm, q->avail_gpa + 4 + 2 * (int64_t)size);
  zero16(vm, q->used_gpa);
  zero16(vm, q->used_gpa + 2);
  zero16(vm, q->used_gpa + 4 + 8 * (int64_t)size);
}

/* ---- driver side (assembly/virtio/driver.ts) ------------------------------------------------- */
typedef struct {
  int out_count, in_count;
  int64_t gpa[4];
  uint32_t len[4];
} ChainRecord;

static int write_desc(Queue *q, int64_t gpa, int64_t addr, uint32_t len, uint16_t flags,
                      uint16_t next) {
  uint8_t *p = dma_ptr(q->vm, gpa, 1);
  if (p == NULL) return 0;
  st64(p, addr);
  st32(p + 8, len);
  st16(p + 12, flags);
  st16(p + 14, next);
  return 1;
}

static int write16(Queue *q, int64_t gpa, int v) {
  uint8_t *p = dma_ptr(q->vm, gpa, 1);
  if (p == NULL) return 0;
  st16(p, (uint16_t)v);
  return 1;
}

/* §2.7.13.1: the record's buffers as descriptors along the free list; the last index, or -1. */
static int write_buffers(Queue *q, const ChainRecord *rec, int first) {
  int n = rec->out_count + rec->in_count;
  int d = first;
  for (int i = 0; i < n; i++) {
    uint16_t flags = i + 1 < n ? DESC_F_NEXT : 0;
    if (i >= rec->out_count) flags |= DESC_F_WRITE;
    int next = q->drv_next[d];
    int64_t at = q->desc_gpa + (int64_t)DESC_SIZE * d;
    if (!write_desc(q, at, rec->gpa[i], rec->len[i], flags, (uint16_t)next)) return -1;
    if (i + 1 < n) d = next;
  }
  return d;
}

/* Place one record and its avail entry (idx not yet published); head or -(fault code). */
static int submit_one(Queue *q, const ChainRecord *rec) {
  int n = rec->out_count + rec->in_count;
  CHECK(n >= 1 && n <= q->size, "drvSubmit: a chain needs 1..size descriptors");
  int head = q->free_head;
  int last = write_buffers(q, rec, head);
  if (last < 0) return drv_fault(q);
  q->free_head = q->drv_next[last];
  q->free_count -= n;
  q->drv_len[head] = (uint16_t)n;
  int idx = q->drv_avail;
  /* §2.7.13.2: ring[idx % size] = head */
  if (!write16(q, q->avail_gpa + 4 + 2 * (int64_t)(idx & (q->size - 1)), head)) return drv_fault(q);
  int next = (idx + 1) & 0xFFFF;
  q->drv_avail = next;
  q->avail_time[head] = now_ns;
  int64_t bytes = 0;
  for (int i = 0; i < n; i++) bytes += rec->len[i];
  queue_row(q, K_VQ_AVAIL, head, (int32_t)(bytes < 0x7FFFFFFF ? bytes : 0x7FFFFFFF), next);
  return head;
}

/* §2.7.13.3: publish the shadow avail idx once for the whole batch. */
static int publish_avail(Queue *q) {
  if (write16(q, q->avail_gpa + 2, q->drv_avail)) return 1;
  drv_fault(q);
  return 0;
}

static void free_chain(Queue *q, int head) {
  int n = q->drv_len[head];
  int last = head;
  for (int i = 1; i < n; i++) last = q->drv_next[last];
  q->drv_next[last] = (uint16_t)q->free_head;
  q->free_head = head;
  q->free_count += n;
  q->drv_len[head] = 0;
}

/* One used element into out[0..1]: head (>= 0), -1 to skip a bogus one, or -(fault) - 1. */
static int reclaim_one(Queue *q, int idx, uint32_t *out) {
  int64_t at = q->used_gpa + 4 + 8 * (int64_t)(idx & (q->size - 1));
  uint8_t *p_id = dma_ptr(q->vm, at, 0);
  if (p_id == NULL) return drv_fault(q) - 1;
  uint8_t *p_len = (at & 0xFFF) <= 0xFF8 ? p_id + 4 : dma_ptr(q->vm, at + 4, 0);
  if (p_len == NULL) return drv_fault(q) - 1;
  uint32_t id = ld32(p_id);
  if (id >= (uint32_t)q->size || q->drv_len[id] == 0) {
    /* §2.7.8.3: a used id the driver never made available is refused. */
    queue_row(q, K_FAULT, F_DESC_INDEX_OUT_OF_RANGE, (int32_t)id, at);
    return -1;
  }
  free_chain(q, (int)id);
  out[0] = id;
  out[1] = ld32(p_len);
  return (int)id;
}

/* §2.7.14: consume at most min(max, room) used elements; with EVENT_IDX set used_event. */
static int drv_reclaim_to(Queue *q, int max, uint32_t *out, int room) {
  uint8_t *p_idx = dma_ptr(q->vm, q->used_gpa + 2, 0);
  stop_reason = 0;
  if (p_idx == NULL) { drv_fault(q); stop_reason = 4; return 0; }
  int used_idx = ld16(p_idx);
  int last = q->drv_last_used;
  int count = 0;
  int steps = 0;
  int limit = max < room ? max : room;
  while (last != used_idx && count < limit && steps < q->size) {
    if (!trace_room()) { stop_reason = 1; break; }
    int r = reclaim_one(q, last, out + 2 * count);
    if (r < -1) { stop_reason = 4; break; }
    if (r >= 0) count++;
    last = (last + 1) & 0xFFFF;
    steps++;
  }
  if (count == limit && last != used_idx) stop_reason = 2;
  q->drv_last_used = last;
  if (q->event_idx) write16(q, q->avail_gpa + 4 + 2 * (int64_t)q->size, last);
  return count;
}

/* ---- device side (assembly/virtio/device.ts, walk.ts) --------------------------------------- */

/* The driver's avail idx, checked (§2.7.6: never more than size ahead); or -(fault). */
static int avail_idx_read(Queue *q) {
  if (q->failed) return refuse_failed(q);
  uint8_t *p = dma_ptr(q->dev_ctx, q->avail_gpa + 2, 0);
  if (p == NULL) return dma_fail(q, -1);
  int avail_idx = ld16(p);
  int pending = (avail_idx - q->dev_last_avail) & 0xFFFF;
  if (pending > q->size) return fail_queue(q, F_AVAIL_IDX_JUMP, avail_idx, q->avail_gpa + 2);
  return avail_idx;
}

static int walk_fail(int code, int64_t addr) {
  walk_fault_addr = addr;
  return code;
}

/* Translate [addr, addr+len) page by page into segments; 0 or a fault code. */
static int add_buffer(int ctx, int64_t addr, int32_t len, int writable) {
  if (len == 0) return 0;
  if (addr < 0 || addr >= INPUT_LIMIT) return walk_fail(F_ADDR_UNMAPPED, addr);
  int32_t done = 0;
  while (done < len) {
    int64_t at = addr + done;
    int32_t in_page = PAGE_SIZE - (int32_t)(at & (PAGE_SIZE - 1));
    int32_t piece = len - done < in_page ? len - done : in_page;
    if (seg_n >= SEG_MAX) return walk_fail(F_CHAIN_TOO_LONG, at);
    uint8_t *host = dma_ptr(ctx, at, writable);
    if (host == NULL) return walk_fail(xlate_fault, xlate_addr);
    segs[seg_n].host = host;
    segs[seg_n].len = (uint32_t)piece;
    segs[seg_n].writable = writable ? 1 : 0;
    seg_n++;
    done += piece;
  }
  if (writable) seg_write += len;
  else seg_read += len;
  return 0;
}

/* §2.7.5.3.1 checks on a descriptor with INDIRECT set. */
static int check_indirect(int in_indirect, uint16_t flags, uint32_t len, int size) {
  if (in_indirect) return F_NESTED_INDIRECT;
  if ((flags & DESC_F_NEXT) != 0) return F_INDIRECT_WITH_NEXT;
  if (len == 0 || (len & 15) != 0) return F_INDIRECT_BAD_LEN;
  if (len > (uint32_t)size * 16) return F_INDIRECT_BAD_LEN;
  return 0;
}

/* The 16 descriptor bytes at `at`; a descriptor straddling a page is assembled in the stage. */
static const uint8_t *desc_ptr(int ctx, int64_t at) {
  int in_page = PAGE_SIZE - (int)(at & (PAGE_SIZE - 1));
  uint8_t *p = dma_ptr(ctx, at, 0);
  if (p == NULL || in_page >= 16) return p;
  uint8_t *p2 = dma_ptr(ctx, at + in_page, 0);
  if (p2 == NULL) return NULL;
  memcpy(desc_stage, p, (size_t)in_page);
  memcpy(desc_stage + in_page, p2, (size_t)(16 - in_page));
  return desc_stage;
}

/* Walk the chain at head: 0 (segments ready) or a fault code with walk_fault_addr set. */
static int walk_chain(Queue *q, int head) {
  int size = q->size;
  int ctx = q->dev_ctx;
  int64_t table = q->desc_gpa;
  int table_len = size;
  int idx = head;
  int budget = size;
  int in_indirect = 0;
  int seen_writable = 0;
  seg_n = 0;
  seg_read = 0;
  seg_write = 0;
  if (idx >= size) return walk_fail(F_DESC_INDEX_OUT_OF_RANGE, idx);
  for (;;) {
    if (budget == 0) return walk_fail(F_DESC_CHAIN_LOOP, table + (int64_t)DESC_SIZE * idx);
    budget--;
    int64_t at = table + (int64_t)DESC_SIZE * idx;
    const uint8_t *p = desc_ptr(ctx, at);
    if (p == NULL) return walk_fail(xlate_fault, xlate_addr);
    int64_t addr = ld64(p);
    uint32_t len = ld32(p + 8);
    uint16_t flags = ld16(p + 12);
    int next = ld16(p + 14);
    if ((flags & DESC_F_INDIRECT) != 0) {
      int code = check_indirect(in_indirect, flags, len, size);
      if (code != 0) return walk_fail(code, at);
      table = addr;
      table_len = (int)(len >> 4);
      budget = table_len;
      idx = 0;
      in_indirect = 1;
      continue;
    }
    int writable = (flags & DESC_F_WRITE) != 0;
    /* §2.7.4.2: all device-writable descriptors come after the device-readable ones. */
    if (!writable && seen_writable) return walk_fail(F_READABLE_AFTER_WRITABLE, at);
    seen_writable |= writable;
    if (len > 0x7FFFFFFF) return walk_fail(F_CHAIN_TOO_LONG, addr);
    int code = add_buffer(ctx, addr, (int32_t)len, writable);
    if (code != 0) return code;
    if ((flags & DESC_F_NEXT) == 0) return 0;
    /* §2.7.5.1: next must index the table being walked. */
    if (next >= table_len) return walk_fail(F_DESC_INDEX_OUT_OF_RANGE, at);
    idx = next;
  }
}

/* Walk the next available chain without consuming it: head, POP_EMPTY or -(fault). */
static int pop_walk_at(Queue *q, int avail_idx) {
  if (q->failed) return refuse_failed(q);
  int last = q->dev_last_avail;
  if (avail_idx == last) return POP_EMPTY;
  int64_t slot = q->avail_gpa + 4 + 2 * (int64_t)(last & (q->size - 1));
  uint8_t *ps = dma_ptr(q->dev_ctx, slot, 0);
  if (ps == NULL) return dma_fail(q, -1);
  int head = ld16(ps);
  int code = walk_chain(q, head);
  if (code != 0) return fail_queue(q, code, head, walk_fault_addr);
  return head;
}

/* §2.7.8: write one used element {id, len}; the idx is published by publish_used(). */
static int push_elem(Queue *q, int head, int32_t len) {
  CHECK(head >= 0 && head < q->size, "devPush: head outside the queue");
  int idx = q->dev_used;
  int64_t at = q->used_gpa + 4 + 8 * (int64_t)(idx & (q->size - 1));
  uint8_t *p_id = dma_ptr(q->dev_ctx, at, 1);
  if (p_id == NULL) return dma_fail(q, head);
  uint8_t *p_len = (at & 0xFFF) <= 0xFF8 ? p_id + 4 : dma_ptr(q->dev_ctx, at + 4, 1);
  if (p_len == NULL) return dma_fail(q, head);
  st32(p_id, (uint32_t)head);
  st32(p_len, (uint32_t)len);
  q->dev_used = (idx + 1) & 0xFFFF;
  queue_row(q, K_VQ_USED, head, len, now_ns - q->avail_time[head]);
  return 0;
}

/* §2.7.8.2: publish used idx after the elements it covers. */
static int publish_used(Queue *q) {
  uint8_t *p = dma_ptr(q->dev_ctx, q->used_gpa + 2, 1);
  if (p == NULL) return dma_fail(q, -1);
  st16(p, (uint16_t)q->dev_used);
  return 0;
}

/* §2.7.10: with EVENT_IDX, ask to be notified when the driver passes our position. */
static int publish_avail_event(Queue *q) {
  if (!q->event_idx || q->failed) return 1;
  uint8_t *p = dma_ptr(q->dev_ctx, q->used_gpa + 4 + 8 * (int64_t)q->size, 1);
  if (p == NULL) { dma_fail(q, -1); return 0; }
  st16(p, (uint16_t)q->dev_last_avail);
  return 1;
}

/* ---- the cycle (assembly/virtio/bench.ts benchCycle and Core.benchCycle's drain loop) -------- */

static int cycle_in_core(Queue *q, const ChainRecord *rec, uint32_t *out, int room, int chains) {
  int need = rec->out_count + rec->in_count;
  CHECK(room >= q->size, "benchCycle: scratch too small for one ring of used elements");
  int done = 0;
  while (done < chains) {
    /* Each chain writes vq_avail + vq_used; leave room for the odd tlb_miss. */
    int trace_left = (tr.soft - tr.count) / 4;
    int batch = chains - done;
    if (q->free_count / need < batch) batch = q->free_count / need;
    if (trace_left < batch) batch = trace_left;
    if (batch <= 0) break;
    for (int i = 0; i < batch; i++) if (submit_one(q, rec) < 0) return done;
    if (!publish_avail(q)) return done;
    int popped = 0;
    int avail_idx = avail_idx_read(q);
    if (avail_idx < 0) return done;
    for (;;) {
      int head = pop_walk_at(q, avail_idx);
      if (head == POP_EMPTY) break;
      if (head < 0) return done;
      q->dev_last_avail = (q->dev_last_avail + 1) & 0xFFFF;
      if (push_elem(q, head, seg_write) != 0) return done;
      popped++;
    }
    if (publish_used(q) != 0 || !publish_avail_event(q)) return done;
    if (drv_reclaim_to(q, popped, out, room) != popped) return done;
    done += batch;
  }
  return done;
}

static int64_t rows_drained;

static void drain(void) {
  rows_drained += tr.count; /* counted, then dropped: the recorder is not measured here */
  tr.count = 0;
}

static int bench_cycle(Queue *q, const ChainRecord *rec, uint32_t *out, int room, int chains) {
  if (tr.count >= tr.soft) drain();
  int done = 0;
  while (done < chains) {
    int r = cycle_in_core(q, rec, out, room, chains - done);
    done += r;
    if (tr.count >= tr.soft) drain();
    if (r == 0) {
      if (tr.count == 0) break;
      drain();
    }
  }
  return done;
}

/* The bench chain (bench/virtqueue.ts CHAIN): one 64-byte readable buffer, two writable ones.
 * Read through volatile at run time, as the core reads its chain record from scratch: a
 * compile-time constant chain let gcc unroll the descriptor loops and fold the byte count. */
static volatile int64_t chain_gpa[3] = {0x10000, 0x11000, 0x12000};
static volatile uint32_t chain_len[3] = {64, 64, 64};
static volatile int chain_out = 1, chain_in = 2;
static ChainRecord CHAIN;

static void chain_load(void) {
  CHAIN.out_count = chain_out;
  CHAIN.in_count = chain_in;
  for (int i = 0; i < CHAIN.out_count + CHAIN.in_count; i++) {
    CHAIN.gpa[i] = chain_gpa[i];
    CHAIN.len[i] = chain_len[i];
  }
}

/* ---- set-up and the two modes ----------------------------------------------------------------- */
static Queue queue;
static uint32_t *out_pairs;
static int out_room;

/* The bench's set-up, step for step as bench/virtqueue.ts setupCore. */
static void setup(int64_t start_ns) {
  trace_init(TRACE_CAPACITY);
  host_ram = alloc_zero(HOST_RAM_BYTES + 16);
  dirty = alloc_zero(HOST_RAM_BYTES >> PAGE_SHIFT);
  desc_stage = host_ram + HOST_RAM_BYTES;
  pt_pool = alloc_zero((size_t)PT_PAGES * PAGE_SIZE);
  now_ns = start_ns;
  vm_create(0, RAM_BYTES);
  iommu_create(0, 0);
  iommu_map_guest(0, 0, 0, RAM_BYTES / PAGE_SIZE, 3);
  queue_create(&queue, 0, 0, 0, QUEUE_SIZE);
  /* scratch after the 64-byte-aligned chain record (bench.ts): 16 + 3 x 16 bytes -> 64 */
  out_room = (SCRATCH_BYTES - 64) >> 3;
  out_pairs = alloc_zero((size_t)out_room * 8);
  chain_load();
}

static void put(FILE *f, const void *p, size_t bytes) {
  CHECK(fwrite(p, 1, bytes, f) == bytes, "cannot write the output file");
}

static int verify(int chains, int64_t start_ns, const char *path) {
  setup(start_ns);
  int done = bench_cycle(&queue, &CHAIN, out_pairs, out_room, chains);
  CHECK(done == chains, "verify: not every chain completed");
  uint32_t ring_bytes = (uint32_t)(USED_GPA + 6 + 8 * QUEUE_SIZE - DESC_GPA);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL, "cannot open the output file");
  uint32_t head[4] = {0x31435156u, (uint32_t)tr.count, (uint32_t)rows_drained, ring_bytes};
  int64_t tlb[4] = {ctxs[0].hits, ctxs[0].misses, ctxs[1].hits, ctxs[1].misses};
  put(f, head, sizeof head);
  put(f, tlb, sizeof tlb);
  size_t n = (size_t)tr.count;
  put(f, tr.ts, n * 8); put(f, tr.seq, n * 8); put(f, tr.vm, n * 2); put(f, tr.vcpu, n * 2);
  put(f, tr.kind, n); put(f, tr.dev, n * 2); put(f, tr.queue, n * 2); put(f, tr.id, n * 8);
  put(f, tr.len, n * 4); put(f, tr.val, n * 8);
  for (uint32_t i = 0; i < ring_bytes; i++) {
    int64_t gpa = DESC_GPA + (int64_t)i;
    uint64_t pte = ctx_lookup(0, gpa);
    CHECK((pte & PTE_VALID) != 0, "verify: ring byte unmapped");
    put(f, host_ram + (pte & PTE_ADDR_MASK) + (gpa & 0xFFF), 1);
  }
  CHECK(fclose(f) == 0, "cannot close the output file");
  return 0;
}

static int64_t clock_ns(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int time_run(int chains, int warm) {
  setup(0);
  CHECK(bench_cycle(&queue, &CHAIN, out_pairs, out_room, warm) == warm, "warm-up incomplete");
  int64_t rows0 = rows_drained + tr.count;
  int64_t t0 = clock_ns(CLOCK_MONOTONIC);
  int64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  int done = bench_cycle(&queue, &CHAIN, out_pairs, out_room, chains);
  int64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  int64_t ns = clock_ns(CLOCK_MONOTONIC) - t0;
  int64_t rows = rows_drained + tr.count - rows0;
  printf("%d %lld %lld %lld\n", done, (long long)rows, (long long)ns, (long long)cpu);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "verify") == 0) {
    return verify(atoi(argv[2]), atoll(argv[3]), argv[4]);
  }
  if (argc == 4 && strcmp(argv[1], "time") == 0) return time_run(atoi(argv[2]), atoi(argv[3]));
  fprintf(stderr, "usage: virtqueue verify <chains> <now_ns> <out> | time <chains> <warm>\n");
  return 2;
}
