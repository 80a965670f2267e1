/** Test-sized experiment configs: a few seconds of training on a small synthetic dataset. */
import type { ExperimentConfigInput } from '../../src-main/contract/config';

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
