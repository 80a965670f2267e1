/**
 * What the trainer and its task workers say to each other. Everything is plain data (typed arrays,
 * numbers, the parsed config), so it crosses `postMessage` by structured clone; arrays coming back
 * are transferred, not copied.
 */
import type { ExperimentConfig } from '../../contract/config';
import type { Episode } from '../episodes';
import type { ImageShape } from '../nn/shapes';

/** Parameter values by name, in the order of the learner's specs. */
export type ParamValues = Record<string, Float32Array>;

export interface TaskGradient {
  grads: ParamValues;
  loss: number;
  accuracy: number;
}

export interface TaskScore {
  loss: number;
  accuracy: number;
  /** Sequence learners: accuracy at each presentation of a class. */
  byInstance?: number[];
}

export type ToWorker =
  | {
      kind: 'init';
      backend: 'wasm' | 'cpu';
      config: ExperimentConfig;
      image: ImageShape;
      /** Class count of the concept discriminator's external dataset (concept space), else null. */
      externalClasses: number | null;
    }
  | { kind: 'gradients'; id: number; params: ParamValues; episodes: Episode[] }
  | { kind: 'evaluate'; id: number; params: ParamValues; episodes: Episode[]; steps: number };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'gradients'; id: number; results: TaskGradient[] }
  | { kind: 'evaluate'; id: number; results: TaskScore[] }
  | { kind: 'error'; id: number | null; message: string };
