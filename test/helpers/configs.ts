/** Test-sized experiment configs: a few seconds of training on a small synthetic dataset. */
import { expect } from 'vitest';
import { ConfigError, type ExperimentConfigInput } from '../../src-main/contract/config';

export const TINY: ExperimentConfigInput = {
  data: 'synthetic:classes=40,size=12',
  model: { filters: 8, blocks: 2 },
  ways: 5,
  shots: 1,
  queries: 3,
  metaBatch: 2,
  iterations: 30,
  evalTasks: 30,
  valEvery: 10,
  valTasks: 10,
  checkpointEvery: 10,
  backend: 'wasm',
};

/** A few-second engine config for in-process training on a 12×12 synthetic dataset. */
export const TINY_ENGINE: ExperimentConfigInput = {
  ways: 3,
  shots: 1,
  queries: 3,
  metaBatch: 2,
  iterations: 6,
  evalTasks: 4,
  valEvery: 3,
  valTasks: 3,
  checkpointEvery: 0,
  model: { filters: 4, blocks: 2 },
};

/** The fields a ConfigError thrown by `f` names. */
export function issueFields(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => i.field);
  }
  throw new Error('expected a ConfigError');
}
