/**
 * One run, trained to the end (or to a cancel) inside a trainer process: reads the run's frozen
 * config (its RunSpec), trains with the engine, and records what happens: metrics in batches,
 * checkpoints, evaluations, heartbeat, the final status. The recorder is the store locally and an
 * event file on a cluster node (runRecorder.ts). Callable in-process too (tests).
 */
import { availableParallelism, totalmem } from 'node:os';
import { estimateTrainingMemory, formatBytes } from '../engine/memoryEstimate';
import { parseExperimentConfig } from '../contract/config';
import { METRIC_KEYS, type RunProgress } from '../contract/records';
import { datasetLoader, resolveTrainingData } from '../data/trainingData';
import { describeBackend, listCheckpoints, metaTrain, selectBackend, type EvaluationResult } from '../engine';
import { checkpointDirectory } from '../layout/dataDirectory';
import { describeWriteError } from '../store/database';
import type { FromTrainer, StopReason } from './messages';
import type { RunRecorder, RunSpec } from './runRecorder';
import { evaluationRecord } from './evaluationRecord';
import { MetricWriter } from './metricWriter';

export interface TrainerJobOptions {
  /** The run to train, from the store (runSpecFromStore) or a cluster job's file. */
  spec: RunSpec;
  recorder: RunRecorder;
  dataDir: string;
  /** Aborted to stop the run at the next iteration boundary, after a checkpoint. */
  signal: AbortSignal;
  /** Why the signal was aborted; a cancel request read from the store counts as 'cancelled'. */
  stopReason: () => StopReason;
  /** Ask for a stop from here (a cancel flag seen in the store). */
  requestStop: (reason: StopReason) => void;
  send: (message: FromTrainer) => void;
  /**
   * The run's log, line by line: what it trains on and with, its progress at intervals, each
   * validation and checkpoint, the result or the error. The trainer process writes it to stderr,
   * which the queue keeps as the run's log file (shown on the run page).
   */
  log?: (line: string) => void;
  heartbeatMs?: number;
}

export type TrainerJobStatus = 'completed' | 'failed' | 'cancelled' | 'interrupted';

export async function runTrainerJob(o: TrainerJobOptions): Promise<TrainerJobStatus> {
  const { spec: run, recorder, send } = o;
  const { runId } = run;
  const say = (line: string) => o.log?.(line);
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  // Progress lines: about twenty per run, whatever its length.
  const every = Math.max(1, Math.round(run.iterations / 20));

  const progress = (p: Omit<RunProgress, 'runId' | 'iterations'>) =>
    send({ type: 'progress', progress: { runId, iterations: run.iterations, ...p } });
  const writer = new MetricWriter(recorder, (points) => send({ type: 'metrics', runId, points }));
  const checkpointDir = checkpointDirectory(o.dataDir, runId);
  const heartbeat = setInterval(() => {
    try {
      if (recorder.heartbeat().cancelRequested) o.requestStop('cancelled');
      writer.maybeFlush();
    } catch {
      // A failed flush surfaces at the next iteration's flush, where it stops the run.
    }
  }, o.heartbeatMs ?? 1000);

  const finish = (status: TrainerJobStatus, error: string | null): TrainerJobStatus => {
    say(`run ${runId}: ${status}${error ? `: ${error}` : ''}`);
    try {
      recorder.finish(status, error);
    } catch (e) {
      // The service marks the run from the exit of this process when the store cannot be written.
      error = `${error ?? status}; the final status could not be saved: ${describeWriteError(e)}`;
    }
    send({ type: 'finished', runId, status, error });
    return status;
  };

  try {
    progress({
      phase: 'starting',
      iteration: run.iteration,
      loss: null,
      accuracy: null,
      tasksPerSecond: null,
      etaMs: null,
    });
    // The frozen config is re-validated: a run created by an older app must still be a valid config.
    const config = parseExperimentConfig(run.config);
    say(
      `run ${runId} (attempt ${run.attempt + 1}): ${config.learner} on ${config.data}, ${config.space}, ` +
        `${config.ways}-way ${config.shots}-shot, ${config.iterations} iterations, seed ${config.seed}`,
    );
    const { dataset, external } = await resolveTrainingData(config, datasetLoader(o.dataDir));
    const memory = estimateTrainingMemory(
      config,
      dataset,
      dataset.pixels.byteLength + (external?.pixels.byteLength ?? 0),
      availableParallelism(),
    );
    say(`memory estimate: ${formatBytes(memory.bytes)} of this machine's ${formatBytes(totalmem())}`);
    const backend = await selectBackend(config.backend);
    const backendText = describeBackend(backend);
    recorder.setBackend(backendText);
    say(`backend: ${backendText}`);
    send({ type: 'backend', runId, backend: backendText });

    const saveEvaluation = (e: EvaluationResult, split: 'val' | 'test', step: number) => {
      recorder.evaluation(
        evaluationRecord(e, { runId, origin: 'training', step, dataset: config.data, split }),
      );
      send({ type: 'evaluation', runId, split, step, mean: e.mean, ci95: e.ci95 });
    };

    let lastIteration = run.iteration;
    const result = await metaTrain({
      config,
      dataset,
      external,
      threads: backend.threads,
      checkpointDir,
      // Always: a fresh run has no checkpoint; a resumed one continues from its newest, or from
      // the one asked for. The store's newest record catches a checkpoint deleted from disk.
      resume: true,
      resumePoint: {
        ...(run.resumeFrom != null ? { from: run.resumeFrom } : {}),
        expected: run.expectedCheckpoint,
      },
      keepCheckpoints: 2,
      signal: o.signal,
      hasValidation: (step) => run.validations.includes(step),
      callbacks: {
        onStart: (info) => {
          // Points and validations written after the checkpoint (before a crash or kill) are
          // re-trained now: drop them so the series continues without duplicates.
          recorder.start(info.startIteration, info.resumedFrom == null);
          recorder.setClassSplit(info.classSplit);
          lastIteration = info.startIteration;
          say(
            `network: ${info.network}, ${info.parameters.toLocaleString('en')} parameters; ${info.classSplit}; ` +
              `${info.threads} thread(s); ` +
              (info.resumedFrom
                ? `resumed at iteration ${info.startIteration} from ${info.resumedFrom}`
                : 'from scratch'),
          );
        },
        onPretrain: (p) => {
          if (p.iteration % every === 0)
            say(`pretraining ${p.iteration}: loss ${p.loss.toFixed(4)}, D accuracy ${pct(p.accuracy)}`);
          writer.add(METRIC_KEYS.pretrainLoss, p.iteration, p.loss);
          writer.add(METRIC_KEYS.pretrainAccuracy, p.iteration, p.accuracy);
          writer.maybeFlush();
          progress({
            phase: 'pretraining',
            iteration: 0,
            loss: p.loss,
            accuracy: p.accuracy,
            tasksPerSecond: null,
            etaMs: null,
          });
        },
        onIteration: (p) => {
          lastIteration = p.iteration;
          if (p.iteration % every === 0)
            say(
              `iteration ${p.iteration}/${p.iterations}: loss ${p.loss.toFixed(4)}, accuracy ${pct(p.accuracy)}, ` +
                `${p.tasksPerSecond.toFixed(1)} tasks/s, ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MiB, ` +
                `ETA ${Math.round(p.etaMs / 1000)} s`,
            );
          const now = Date.now();
          writer.add(METRIC_KEYS.loss, p.iteration, p.loss, now);
          writer.add(METRIC_KEYS.accuracy, p.iteration, p.accuracy, now);
          writer.add(METRIC_KEYS.tasksPerSecond, p.iteration, p.tasksPerSecond, now);
          writer.add(METRIC_KEYS.memoryMb, p.iteration, process.memoryUsage.rss() / 2 ** 20, now);
          if (p.discriminationLoss != null && p.discriminationAccuracy != null) {
            writer.add(METRIC_KEYS.discriminationLoss, p.iteration, p.discriminationLoss, now);
            writer.add(METRIC_KEYS.discriminationAccuracy, p.iteration, p.discriminationAccuracy, now);
          }
          writer.maybeFlush(now);
          progress({
            phase: 'training',
            iteration: p.iteration,
            loss: p.loss,
            accuracy: p.accuracy,
            tasksPerSecond: p.tasksPerSecond,
            etaMs: p.etaMs,
          });
        },
        onValidation: (v) => {
          say(`validation at ${v.iteration}: ${pct(v.mean)} ± ${pct(v.ci95)}`);
          writer.add(METRIC_KEYS.valAccuracy, v.iteration, v.mean);
          writer.add(METRIC_KEYS.valCi95, v.iteration, v.ci95);
          writer.flush();
          saveEvaluation(v, 'val', v.iteration);
        },
        onCheckpoint: async (path, iteration) => {
          // Metrics first: a checkpoint in the table always has its series committed up to it.
          writer.flush();
          const kept = await listCheckpoints(checkpointDir);
          recorder.checkpoint(iteration, path, kept);
          say(`checkpoint at ${iteration}: ${path}`);
          send({ type: 'checkpoint', runId, step: iteration });
        },
        onEvaluationProgress: (done, total) =>
          progress({
            phase: 'testing',
            iteration: lastIteration,
            loss: null,
            accuracy: null,
            tasksPerSecond: null,
            etaMs: null,
            evaluated: { done, total },
          }),
      },
    });
    writer.flush();
    if (result.status === 'cancelled') {
      const reason = o.stopReason();
      // An interruption says why and where: the user did not ask for it.
      return finish(
        reason,
        reason === 'interrupted'
          ? `interrupted at iteration ${result.iterations}: the trainer was told to stop (its workbench shut down or went away); resume continues from there`
          : null,
      );
    }
    saveEvaluation(result.test!, 'test', result.iterations);
    say(`meta-test: ${pct(result.test!.mean)} ± ${pct(result.test!.ci95)} over ${config.evalTasks} tasks`);
    return finish('completed', null);
  } catch (e) {
    writer.discard();
    if (e instanceof Error && e.stack) say(e.stack);
    return finish('failed', (e as Error).message ?? String(e));
  } finally {
    clearInterval(heartbeat);
  }
}
