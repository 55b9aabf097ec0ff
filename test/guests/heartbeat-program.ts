// The guest program of README "Writing a guest program", as it stands there: a test runs it.
import { z } from 'zod';
import type { GuestApi, GuestProgram } from '../../src/guests/guest-api.js';

const BEAT_NS = 100_000_000;
const BEAT = 0; //  timer tag: time for the next heartbeat
const BUILT = 1; // job tag: the heartbeat frame is built (arg: its number)

const stateSchema = z.strictObject({
  beats: z.number().int().nonnegative(), //  heartbeats sent
  heard: z.number().int().nonnegative(), //  CAN frames received
});

export class Heartbeat implements GuestProgram<z.infer<typeof stateSchema>> {
  readonly stateSchema = stateSchema;
  state = { beats: 0, heard: 0 };

  vcpusUsed(): number {
    return 1;
  }

  start(api: GuestApi): void {
    api.log('HRTB', 'info', 'MAIN', 'heartbeat up');
    api.timer(BEAT_NS, BEAT);
  }

  onTimer(api: GuestApi, tag: number): void {
    if (tag !== BEAT) return;
    api.cpu(50_000, BUILT, this.state.beats + 1); // 50 µs of CPU to build the frame
    api.timer(BEAT_NS, BEAT);
  }

  onCpuDone(api: GuestApi, tag: number, beat: number): void {
    if (tag !== BUILT) return;
    this.state.beats = beat;
    api.cans[0]?.send([{ canId: 0x7a0, data: Uint8Array.of(beat & 0xff) }]);
    api.log('HRTB', 'info', 'BEAT', 'beat', beat, 'heard', this.state.heard);
  }

  onCanFrame(): void {
    this.state.heard++;
  }
}
