/**
 * What a caller gives metaTrain (trainer.ts) and what it hears back while training runs: the
 * options, and the callbacks with their progress reports. The training steps (session, pretrain)
 * read these too, so they live apart from the loop that uses them.
 */
import type { ExperimentConfig } from '../../contract/config';
import type { ResumePoint } from '../checkpoint';
import type { ClassIndexedDataset } from '../dataset';
import type { EvaluationResult } from '../evaluate';

export interface IterationProgress {
  /** 1-based index of the iteration just finished. */
  iteration: number;
  iterations: number;
  /** Mean query loss after adaptation over the meta-batch. */
  loss: number;
  /** Mean query accuracy after adaptation over the meta-batch. */
  accuracy: number;
  /** Tasks per second over this iteration. */
  tasksPerSecond: number;
  elapsedMs: number;
  /** Estimated time to the end of meta-training (not counting the final evaluation). */
  etaMs: number;
  /** Concept space: the discrimination loss (unweighted) and accuracy on this iteration's external batch. */
  discriminationLoss?: number;
  discriminationAccuracy?: number;
}

export interface PretrainProgress {
  iteration: number;
  iterations: number;
  loss: number;
  accuracy: number;
}

export interface ValidationProgress extends EvaluationResult {
  iteration: number;
}

export interface TrainCallbacks {
  onStart?(info: TrainStartInfo): void | Promise<void>;
  onIteration?(progress: IterationProgress): void | Promise<void>;
  onValidation?(result: ValidationProgress): void | Promise<void>;
  onCheckpoint?(path: string, iteration: number): void | Promise<void>;
  /** Concept space: G + D pretraining on the external data, before meta-training. */
  onPretrain?(progress: PretrainProgress): void | Promise<void>;
  /** Meta-test progress (tasks done / total). */
  onEvaluationProgress?(done: number, total: number): void;
}

export interface TrainStartInfo {
  network: string;
  parameters: number;
  metaParameters: number;
  splits: { train: number; val: number; test: number };
  /** The split in words: its class counts and where it comes from (describeClassSplit). */
  classSplit: string;
  startIteration: number;
  resumedFrom: string | null;
  /** Threads the tasks run on (the trainer's and its task workers). */
  threads: number;
}

export interface TrainOptions {
  /** A parsed config (parseExperimentConfig); checked against the dataset before any work. */
  config: ExperimentConfig;
  dataset: ClassIndexedDataset;
  /** The external labelled dataset of the concept discriminator (concept space only). */
  external?: ClassIndexedDataset | null;
  callbacks?: TrainCallbacks;
  /** Where checkpoints go; none are written without it. */
  checkpointDir?: string;
  /**
   * Continue from a checkpoint in checkpointDir: the newest, or the one `resumePoint.from` names
   * (0: from scratch; checkpoints after it are dropped). A damaged newest checkpoint, or one the
   * run's records expect and the folder lacks, is refused with the previous good one named.
   */
  resume?: boolean;
  resumePoint?: ResumePoint;
  /** Cancels at the next iteration boundary, after a checkpoint. */
  signal?: AbortSignal;
  /** Skip the final meta-test (e.g. when a caller evaluates separately). */
  skipTest?: boolean;
  /**
   * On resume at an iteration that is due a validation: was that validation recorded? A cancel
   * during a validation checkpoints before it finishes; answering false runs it again first.
   */
  hasValidation?: (iteration: number) => boolean;
  /**
   * Threads for the tasks of a meta-batch and of a meta-test (wasm and cpu; default 1). The
   * results do not depend on it: the same run on 1 or N threads is identical bit for bit.
   */
  threads?: number;
}
