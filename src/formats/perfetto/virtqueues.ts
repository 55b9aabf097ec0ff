// Virtqueue requests as async slices: from vq_avail (the driver made a chain available) to the
// vq_used that returns the same head on the same device and queue (queries/virtio/latency.sql:
// vq_used.val is that latency). A queue has many chains in flight at once (a receive queue keeps
// up to its size posted), and slices on one track must nest, so each request takes the lowest
// free lane: a child track of the queue's track that holds one request at a time.

import type { TimelineSink, Track } from './sink.js';
import { queueRole, type Tracks } from './tracks.js';

interface Open {
  lane: number;
  track: Track;
}

export interface VirtqueueCounts {
  requestSlices: number;
  /** vq_used rows whose head had no open request (e.g. a corrupted used element). */
  usedUnmatched: number;
}

export class Virtqueues {
  readonly counts: VirtqueueCounts = { requestSlices: 0, usedUnmatched: 0 };
  private readonly open = new Map<number, Open>();
  /** Per queue (dev, queue), its lanes: which hold a request, and their tracks (made once). */
  private readonly lanesBusy = new Map<number, boolean[]>();
  private readonly laneTracks = new Map<number, Track[]>();

  constructor(
    private readonly tracks: Tracks,
    private readonly sink: TimelineSink,
  ) {}

  avail(tsNs: number, vm: number, dev: number, queue: number, head: number, chainBytes: number): void {
    const key = requestKey(dev, queue, head);
    if (this.open.has(key)) this.close(tsNs, key); // the head came back without a vq_used row
    const busy = this.lanes(dev, queue);
    let lane = busy.indexOf(false);
    if (lane < 0) lane = busy.push(false) - 1;
    busy[lane] = true;
    const tracks = this.laneTracks.get(dev * QUEUES + queue)!;
    const track = (tracks[lane] ??= this.tracks.virtqueueLane(vm, dev, queue, lane));
    this.open.set(key, { lane, track });
    const role = queueRole(this.tracks.topology.devices[dev]?.type ?? '', queue);
    this.sink.begin(tsNs, track, role === 'rx' ? 'rx buffer' : 'request', { head, chain_bytes: chainBytes }, null);
  }

  /** Returns false when no request was open for the head. */
  used(tsNs: number, dev: number, queue: number, head: number): boolean {
    const key = requestKey(dev, queue, head);
    if (!this.open.has(key)) {
      this.counts.usedUnmatched += 1;
      return false;
    }
    this.close(tsNs, key);
    this.counts.requestSlices += 1;
    return true;
  }

  private close(tsNs: number, key: number): void {
    const o = this.open.get(key)!;
    this.open.delete(key);
    this.sink.end(tsNs, o.track);
    this.lanesBusy.get(Math.floor(key / HEADS))![o.lane] = false;
  }

  private lanes(dev: number, queue: number): boolean[] {
    const key = dev * QUEUES + queue;
    let busy = this.lanesBusy.get(key);
    if (busy === undefined) {
      busy = [];
      this.lanesBusy.set(key, busy);
      this.laneTracks.set(key, []);
    }
    return busy;
  }
}

/** Heads are < 32768 (VIRTIO 1.2 §2.7: queue size at most 32768); queue indices < 1024. */
const HEADS = 65536;
const QUEUES = 1024;

function requestKey(dev: number, queue: number, head: number): number {
  return (dev * QUEUES + queue) * HEADS + head;
}
