/** What a caller and its run workers (runWorker.ts) say to each other: plain data, cloned. */
import type { ExperimentConfig } from '../../contract/config';
import type { ClassIndexedDataset } from '../dataset';
import type { TrainResult } from '../trainer';

export type ToRunWorker =
  | {
      kind: 'train';
      config: ExperimentConfig;
      dataset: ClassIndexedDataset;
      external: ClassIndexedDataset | null;
      threads: number;
    }
  | { kind: 'cancel' };

export type FromRunWorker =
  | { kind: 'iteration'; iteration: number; iterations: number; loss: number }
  | { kind: 'result'; result: TrainResult }
  | { kind: 'error'; message: string };
