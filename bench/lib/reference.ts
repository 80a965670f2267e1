import type { ExperimentConfigInput } from '../../src-main/engine';

/**
 * The reference workload of the speed figures (issue 6): conv4 with 64 filters on 28×28×1,
 * 5-way 1-shot with 15 queries per class, batch norm with batch statistics, one inner step,
 * meta-batch 4.
 */
export const REFERENCE: ExperimentConfigInput = {
  ways: 5,
  shots: 1,
  queries: 15,
  metaBatch: 4,
  innerSteps: 1,
  innerLr: 0.4,
  valEvery: 0,
  checkpointEvery: 0,
  model: { filters: 64, blocks: 4 },
};

/** PyTorch 1.13 on 2 CPU threads of this machine class, on the same workload (issue 6). */
export const PYTORCH_CPU_TASKS_PER_SECOND: Record<string, number> = { maml: 5.6, fomaml: 8.5, metasgd: 5.6 };
