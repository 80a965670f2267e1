/** The ETA counts the validations and the meta-test still to come, not only training iterations. */
import { describe, expect, it } from 'vitest';
import { IterationPace, remainingMs } from '../../src-main/engine/training/eta';

const base = {
  iteration: 100,
  iterations: 1000,
  msPerIteration: 50,
  metaBatch: 4,
  valEvery: 250,
  valTasks: 100,
  validates: true,
  testTasks: 600,
  msPerEvaluatedTask: 5,
};

describe('the pace of iterations', () => {
  it('leaves out the first (set-up) once there is a second, and follows the latest window', () => {
    const pace = new IterationPace(3);
    expect(pace.msPerIteration).toBeNaN();
    pace.add(60_000); // the first iteration: kernels, workers, shaders
    expect(pace.msPerIteration).toBe(60_000);
    pace.add(100);
    expect(pace.msPerIteration).toBe(100);
    for (const ms of [100, 100, 400, 400, 400]) pace.add(ms);
    expect(pace.msPerIteration).toBe(400); // the machine slowed: the window follows it
  });
});

describe('remainingMs', () => {
  it('adds the validations at 250, 500, 750 and 1000 and the meta-test, priced per evaluated task', () => {
    expect(remainingMs(base)).toBe(900 * 50 + (4 * 100 + 600) * 5);
  });

  it('counts only the validations not yet done, none without a val split or with valEvery 0', () => {
    expect(remainingMs({ ...base, iteration: 500 })).toBe(500 * 50 + (2 * 100 + 600) * 5);
    expect(remainingMs({ ...base, validates: false })).toBe(900 * 50 + 600 * 5);
    expect(remainingMs({ ...base, valEvery: 0, testTasks: 0 })).toBe(900 * 50);
  });

  it('before any validation, a training iteration’s time per task prices an evaluated task', () => {
    expect(remainingMs({ ...base, msPerEvaluatedTask: null })).toBe(900 * 50 + (4 * 100 + 600) * 12.5);
    expect(remainingMs({ ...base, iteration: 1000 })).toBe(600 * 5);
  });
});
