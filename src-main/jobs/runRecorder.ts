/**
 * Where a trainer records what happens to its run. Locally it writes the store itself
 * (storeRecorder); on a cluster's compute node, which must never open the SQLite database (a
 * database on a network filesystem is a known way to corrupt it), it appends the same records
 * to a file that the workbench ingests (runEvents.ts). Both go through these operations, so a run
 * trained either way ends with the same rows.
 */
import type { Provenance } from '../contract/provenance';
import type { MetricRecord, RunStatus } from '../contract/records';
import type { NewEvaluation } from '../store/evaluations';
import type { Store } from '../store/store';

/** What a trainer needs to know of its run: the store's row locally, a job file on a cluster. */
export interface RunSpec {
  runId: number;
  attempt: number;
  /** The frozen config, as stored (re-validated by the trainer). */
  config: unknown;
  iteration: number;
  iterations: number;
  /** The checkpoint a resume was asked to start from (0: from scratch), or null for the newest. */
  resumeFrom: number | null;
  /** The newest checkpoint the store records (a file missing from disk is then caught). */
  expectedCheckpoint: number | null;
  /** Iterations whose validation is already stored (not repeated after a resume). */
  validations: number[];
  /**
   * A sweep's trial: compared on meta-validation only, so its meta-test is never run (the
   * protocol: nothing tuned may see the test split). Absent in job files of older workbenches.
   */
  skipTest?: boolean;
}

export type FinalStatus = Extract<RunStatus, 'completed' | 'failed' | 'cancelled' | 'interrupted'>;

export interface RunRecorder {
  setBackend(text: string): void;
  /** What and where the trainer runs with (its own machine's, on a cluster node). */
  setProvenance(provenance: Provenance): void;
  /** The class split training took ("train 900 / val 120 / test 180 classes: …"). */
  setClassSplit(text: string): void;
  /** Whether a cancel was asked for (polled with the heartbeat). */
  heartbeat(): { cancelRequested: boolean };
  /** Training (re)starts at `iteration`: what was written after it is dropped. */
  start(iteration: number, fromScratch: boolean): void;
  /** A batch of points, committed together, and the run's iteration. */
  metrics(points: readonly MetricRecord[], iteration: number, now: number): void;
  evaluation(e: NewEvaluation): void;
  checkpoint(step: number, file: string, kept: readonly string[]): void;
  finish(status: FinalStatus, error: string | null): void;
}

export function runSpecFromStore(store: Store, runId: number): RunSpec {
  const run = store.runs.get(runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  if (run.status !== 'running') throw new Error(`run ${runId} is ${run.status}, not running`);
  return {
    runId,
    attempt: run.attempt,
    config: run.config,
    iteration: run.iteration,
    iterations: run.iterations,
    resumeFrom: run.resumeFrom ?? null,
    expectedCheckpoint: store.checkpoints.list(runId).at(-1)?.step ?? null,
    validations: store.evaluations
      .list(runId)
      .filter((e) => e.split === 'val')
      .map((e) => e.step),
    skipTest: run.sweep?.role === 'trial',
  };
}

/** The store, written directly (the local trainer; and the workbench applying a cluster job's file). */
export function storeRecorder(store: Store, runId: number, attempt: number): RunRecorder {
  return {
    setBackend: (text) => store.runs.setBackend(runId, text),
    setProvenance: (provenance) => store.runs.setProvenance(runId, provenance),
    setClassSplit: (text) => store.runs.setClassSplit(runId, text),
    heartbeat: () => store.runs.heartbeat(runId),
    start: (iteration, fromScratch) =>
      store.transaction(() => {
        store.metrics.truncateAfter(runId, iteration, { pretrain: fromScratch });
        store.evaluations.truncateAfter(runId, iteration);
        store.runs.setIteration(runId, iteration);
        store.checkpoints.truncateAfter(runId, iteration);
        store.runs.clearResumeFrom(runId);
      }),
    metrics: (points, iteration, now) =>
      store.transaction(() => {
        store.metrics.insert(runId, points);
        store.runs.setIteration(runId, iteration, now);
      }),
    evaluation: (e) => void store.evaluations.insert(e),
    checkpoint: (step, file, kept) => store.checkpoints.record(runId, step, file, kept),
    finish: (status, error) => void store.runs.finish(runId, status, error, { attempt }),
  };
}

/** A local run's spec and recorder, both from the store. */
export function storeJob(store: Store, runId: number): { spec: RunSpec; recorder: RunRecorder } {
  const spec = runSpecFromStore(store, runId);
  return { spec, recorder: storeRecorder(store, runId, spec.attempt) };
}
