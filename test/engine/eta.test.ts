/** The ETA counts the validations and the meta-test still to come, not only training iterations. */
import { describe, expect, it } from 'vitest';
import { remainingMs } from '../../src-main/engine/training/eta';

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
