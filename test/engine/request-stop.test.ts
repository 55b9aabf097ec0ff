// Engine.requestStop (a replay's verifier stopping the run at its first divergence without a
// question after every event): the run stops right after the event that asked, as a `stop`
// answering true there does; the request is used once, and a later runUntil continues exactly
// where it stopped, so stopping this way never changes the run either.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { EventTarget } from '../../src/engine/event-target.js';
import { fakeCore } from '../platform/fake-core.js';

/** Fires every 10 ns and records when; at `stopAt` it asks the engine to stop. */
function ticker(stopAt: number) {
  const fake = fakeCore();
  const engine = new Engine({ core: fake.core, onIrq: () => {} });
  const fired: number[] = [];
  const target: EventTarget = {
    fire: () => {
      fired.push(engine.now);
      if (engine.now === stopAt) engine.requestStop();
      engine.after(10, id, 0);
    },
    describe: () => 'ticker',
  };
  const id = engine.register('ticker', target);
  engine.at(0, id, 0);
  return { engine, fired };
}

describe('Engine.requestStop', () => {
  it('stops right after the event that asked, once, and the run goes on from there unchanged', () => {
    const whole = ticker(-1);
    expect(whole.engine.runUntil(100)).toBe(false);

    const { engine, fired } = ticker(40);
    expect(engine.runUntil(100)).toBe(true);
    expect(engine.now).toBe(40);
    expect(fired).toEqual([0, 10, 20, 30, 40]);
    expect(engine.runUntil(100)).toBe(false); // the request was used: the run continues
    expect(fired).toEqual(whole.fired);
    expect(engine.now).toBe(100);
  });

  it('asked between runs, ends the next runUntil at its first stop point', () => {
    const { engine, fired } = ticker(-1);
    engine.runUntil(25);
    engine.requestStop();
    expect(engine.runUntil(100)).toBe(true);
    expect(fired).toEqual([0, 10, 20]);
  });
});
