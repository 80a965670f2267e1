/**
 * One run, trained to the end (or to a cancel) inside a trainer process: reads the run's frozen
 * config (its RunSpec), trains with the engine, and records what happens: metrics in batches,
 * checkpoints, evaluations, heartbeat, the final status. The recorder is the store locally and an
 * event file on a cluster node (runRecorder.ts). Callable in-process too (tests).
 */
import { collectProvenance } from './provenance';
import { availableParallelism, totalmem } from 'node:os';
import { estimateTrainingMemory, formatBytes } from '../engine/memoryEstimate';
import { type ExperimentConfig, parseExperimentConfig } from '../contract/config';
import { METRIC_KEYS, type RunProgress } from '../contract/records';
import { type TrainingData, datasetLoader, resolveTrainingData } from '../data/trainingData';
import {
  type BackendDescription,
  type EvaluationResult,
  type IterationProgress,
  type PretrainProgress,
  type TrainOptions,
  type TrainResult,
  type TrainStartInfo,
  type ValidationProgress,
  describeBackend,
  listCheckpoints,
  metaTrain,
  selectBackend,
  tf,
} from '../engine';
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

/** One trainer job as it goes: its options and run, where its metrics go, what its log says. */
interface TrainerJob {
  readonly o: TrainerJobOptions;
  readonly run: RunSpec;
  readonly writer: MetricWriter;
  readonly checkpointDir: string;
  /** Log a progress line every this many iterations: about twenty per run, whatever its length. */
  readonly every: number;
  /** The newest iteration trained, which the meta-test's progress reports. */
  lastIteration: number;
  /** The process's CPU time and the wall clock at the previous point, for the CPU share. */
  cpuSample?: { usage: NodeJS.CpuUsage; at: number };
}

/** What training needs once the job is set up: the checked config, its data and the backend. */
interface PreparedTraining extends TrainingData {
  config: ExperimentConfig;
  backend: BackendDescription;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
/** A line of the run's log. */
const say = (job: TrainerJob, line: string) => job.o.log?.(line);
/** The run's live progress, to the service (not stored row by row). */
const progress = (job: TrainerJob, p: Omit<RunProgress, 'runId' | 'iterations'>) =>
  job.o.send({ type: 'progress', progress: { runId: job.run.runId, iterations: job.run.iterations, ...p } });

export async function runTrainerJob(o: TrainerJobOptions): Promise<TrainerJobStatus> {
  const { spec: run, recorder, send } = o;
  const job: TrainerJob = {
    o,
    run,
    writer: new MetricWriter(recorder, (points) => send({ type: 'metrics', runId: run.runId, points })),
    checkpointDir: checkpointDirectory(o.dataDir, run.runId),
    every: Math.max(1, Math.round(run.iterations / 20)),
    lastIteration: run.iteration,
  };
  const heartbeat = startHeartbeat(job);
  try {
    progress(job, {
      phase: 'starting',
      iteration: run.iteration,
      loss: null,
      accuracy: null,
      tasksPerSecond: null,
      etaMs: null,
    });
    const prepared = await prepareTraining(job);
    const result = await metaTrain(trainOptions(job, prepared));
    job.writer.flush();
    return endOfTraining(job, prepared.config, result);
  } catch (e) {
    job.writer.discard();
    if (e instanceof Error && e.stack) say(job, e.stack);
    return finish(job, 'failed', (e as Error).message ?? String(e));
  } finally {
    clearInterval(heartbeat);
  }
}

/** Signs of life while the run trains; a cancel asked for in the store stops it, and metrics flush on time. */
function startHeartbeat(job: TrainerJob): NodeJS.Timeout {
  const { o, writer } = job;
  return setInterval(() => {
    try {
      if (o.recorder.heartbeat().cancelRequested) o.requestStop('cancelled');
      writer.maybeFlush();
    } catch {
      // A failed flush surfaces at the next iteration's flush, where it stops the run.
    }
  }, o.heartbeatMs ?? 1000);
}

/** The run's config checked again, its data loaded, the memory it needs said, its backend chosen. */
async function prepareTraining(job: TrainerJob): Promise<PreparedTraining> {
  const { o, run } = job;
  // The frozen config is re-validated: a run created by an older app must still be a valid config.
  const config = parseExperimentConfig(run.config);
  say(
    job,
    `run ${run.runId} (attempt ${run.attempt + 1}): ${config.learner} on ${config.data}, ${config.space}, ` +
      `${config.ways}-way ${config.shots}-shot, ${config.iterations} iterations, seed ${config.seed}`,
  );
  const { dataset, external } = await resolveTrainingData(config, datasetLoader(o.dataDir));
  const memory = estimateTrainingMemory(
    config,
    dataset,
    dataset.pixels.byteLength + (external?.pixels.byteLength ?? 0),
    availableParallelism(),
  );
  say(job, `memory estimate: ${formatBytes(memory.bytes)} of this machine's ${formatBytes(totalmem())}`);
  const backend = await selectBackend(config.backend);
  const backendText = describeBackend(backend);
  o.recorder.setBackend(backendText);
  o.recorder.setProvenance(collectProvenance(backend));
  say(job, `backend: ${backendText}`);
  o.send({ type: 'backend', runId: run.runId, backend: backendText });
  return { config, dataset, external, backend };
}

/** How the engine trains this run: resumed where it stands, each callback recording what happens. */
function trainOptions(
  job: TrainerJob,
  { config, dataset, external, backend }: PreparedTraining,
): TrainOptions {
  const { run } = job;
  return {
    config,
    dataset,
    external,
    threads: backend.threads,
    checkpointDir: job.checkpointDir,
    // Always: a fresh run has no checkpoint; a resumed one continues from its newest, or from
    // the one asked for. The store's newest record catches a checkpoint deleted from disk.
    resume: true,
    resumePoint: {
      ...(run.resumeFrom != null ? { from: run.resumeFrom } : {}),
      expected: run.expectedCheckpoint,
    },
    skipTest: run.skipTest === true,
    signal: job.o.signal,
    hasValidation: (step) => run.validations.includes(step),
    callbacks: {
      onStart: (info) => recordStart(job, info),
      onPretrain: (p) => recordPretraining(job, p),
      onIteration: (p) => recordIteration(job, p),
      onValidation: (v) => recordValidation(job, config, v),
      onCheckpoint: (path, iteration) => recordCheckpoint(job, path, iteration),
      onEvaluationProgress: (done, total) =>
        progress(job, {
          phase: 'testing',
          iteration: job.lastIteration,
          loss: null,
          accuracy: null,
          tasksPerSecond: null,
          etaMs: null,
          evaluated: { done, total },
        }),
    },
  };
}

function recordStart(job: TrainerJob, info: TrainStartInfo): void {
  // Points and validations written after the checkpoint (before a crash or kill) are
  // re-trained now: drop them so the series continues without duplicates.
  job.o.recorder.start(info.startIteration, info.resumedFrom == null);
  job.o.recorder.setClassSplit(info.classSplit);
  job.lastIteration = info.startIteration;
  say(
    job,
    `network: ${info.network}, ${info.parameters.toLocaleString('en')} parameters; ${info.classSplit}; ` +
      `${info.threads} thread(s); ` +
      (info.resumedFrom
        ? `resumed at iteration ${info.startIteration} from ${info.resumedFrom}`
        : 'from scratch'),
  );
}

function recordPretraining(job: TrainerJob, p: PretrainProgress): void {
  const { writer } = job;
  if (p.iteration % job.every === 0)
    say(job, `pretraining ${p.iteration}: loss ${p.loss.toFixed(4)}, D accuracy ${pct(p.accuracy)}`);
  writer.add(METRIC_KEYS.pretrainLoss, p.iteration, p.loss);
  writer.add(METRIC_KEYS.pretrainAccuracy, p.iteration, p.accuracy);
  writer.maybeFlush();
  progress(job, {
    phase: 'pretraining',
    iteration: 0,
    loss: p.loss,
    accuracy: p.accuracy,
    tasksPerSecond: null,
    etaMs: null,
  });
}

/**
 * The CPU share since the previous point (task workers are threads of this process, so their time
 * counts), and the GPU's tensor memory where the backend reports it.
 */
function recordSystem(job: TrainerJob, iteration: number, now: number): void {
  const usage = process.cpuUsage();
  // The interval on a sub-millisecond clock: Date.now()'s whole milliseconds made a short
  // iteration's share read well over 100%.
  const at = performance.now();
  const last = job.cpuSample;
  job.cpuSample = { usage, at };
  if (last && at > last.at) {
    const cpuMs = (usage.user - last.usage.user + usage.system - last.usage.system) / 1000;
    // At most all the cores: the kernel accounts CPU time in ticks, which can overshoot a short interval.
    const share = Math.min(100, (100 * cpuMs) / (at - last.at) / availableParallelism());
    job.writer.add(METRIC_KEYS.cpuPercent, iteration, share, now);
  }
  const gpu = (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
  if (gpu != null) job.writer.add(METRIC_KEYS.gpuMb, iteration, gpu / 2 ** 20, now);
}

function recordIteration(job: TrainerJob, p: IterationProgress): void {
  const { writer } = job;
  job.lastIteration = p.iteration;
  if (p.iteration % job.every === 0)
    say(
      job,
      `iteration ${p.iteration}/${p.iterations}: loss ${p.loss.toFixed(4)}, accuracy ${pct(p.accuracy)}, ` +
        `${p.tasksPerSecond.toFixed(1)} tasks/s, ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MiB, ` +
        `ETA ${Math.round(p.etaMs / 1000)} s`,
    );
  const now = Date.now();
  writer.add(METRIC_KEYS.loss, p.iteration, p.loss, now);
  writer.add(METRIC_KEYS.accuracy, p.iteration, p.accuracy, now);
  writer.add(METRIC_KEYS.tasksPerSecond, p.iteration, p.tasksPerSecond, now);
  writer.add(METRIC_KEYS.memoryMb, p.iteration, process.memoryUsage.rss() / 2 ** 20, now);
  recordSystem(job, p.iteration, now);
  if (p.discriminationLoss != null && p.discriminationAccuracy != null) {
    writer.add(METRIC_KEYS.discriminationLoss, p.iteration, p.discriminationLoss, now);
    writer.add(METRIC_KEYS.discriminationAccuracy, p.iteration, p.discriminationAccuracy, now);
  }
  writer.maybeFlush(now);
  progress(job, {
    phase: 'training',
    iteration: p.iteration,
    loss: p.loss,
    accuracy: p.accuracy,
    tasksPerSecond: p.tasksPerSecond,
    etaMs: p.etaMs,
  });
}

function recordValidation(job: TrainerJob, config: ExperimentConfig, v: ValidationProgress): void {
  say(job, `validation at ${v.iteration}: ${pct(v.mean)} ± ${pct(v.ci95)}`);
  job.writer.add(METRIC_KEYS.valAccuracy, v.iteration, v.mean);
  job.writer.add(METRIC_KEYS.valCi95, v.iteration, v.ci95);
  job.writer.flush();
  saveEvaluation(job, config, v, 'val', v.iteration);
}

async function recordCheckpoint(job: TrainerJob, path: string, iteration: number): Promise<void> {
  // Metrics first: a checkpoint in the table always has its series committed up to it.
  job.writer.flush();
  const kept = await listCheckpoints(job.checkpointDir);
  job.o.recorder.checkpoint(iteration, path, kept);
  say(job, `checkpoint at ${iteration}: ${path}`);
  job.o.send({ type: 'checkpoint', runId: job.run.runId, step: iteration });
}

/** A validation or the meta-test of the run's own training, stored with the run and announced. */
function saveEvaluation(
  job: TrainerJob,
  config: ExperimentConfig,
  e: EvaluationResult,
  split: 'val' | 'test',
  step: number,
): void {
  const { runId } = job.run;
  job.o.recorder.evaluation(
    evaluationRecord(e, { runId, origin: 'training', step, dataset: config.data, split }),
  );
  job.o.send({ type: 'evaluation', runId, split, step, mean: e.mean, ci95: e.ci95 });
}

/** A cancelled run ends as its stop asked; a completed one keeps its meta-test. */
function endOfTraining(job: TrainerJob, config: ExperimentConfig, result: TrainResult): TrainerJobStatus {
  if (result.status === 'cancelled') {
    const reason = job.o.stopReason();
    // An interruption says why and where: the user did not ask for it.
    return finish(
      job,
      reason,
      reason === 'interrupted'
        ? `interrupted at iteration ${result.iterations}: the trainer was told to stop (its workbench shut down or went away); resume continues from there`
        : null,
    );
  }
  if (result.test) {
    saveEvaluation(job, config, result.test, 'test', result.iterations);
    say(job, `meta-test: ${pct(result.test.mean)} ± ${pct(result.test.ci95)} over ${config.evalTasks} tasks`);
  } else say(job, 'no meta-test: a sweep trial is compared on meta-validation only');
  return finish(job, 'completed', null);
}

/** The run's final status, recorded and announced. */
function finish(job: TrainerJob, status: TrainerJobStatus, error: string | null): TrainerJobStatus {
  const { runId } = job.run;
  say(job, `run ${runId}: ${status}${error ? `: ${error}` : ''}`);
  try {
    job.o.recorder.finish(status, error);
  } catch (e) {
    // The service marks the run from the exit of this process when the store cannot be written.
    error = `${error ?? status}; the final status could not be saved: ${describeWriteError(e)}`;
  }
  job.o.send({ type: 'finished', runId, status, error });
  return status;
}
