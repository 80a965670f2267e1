/** `deml train`'s training (the command's definition is train.ts). */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { ConfigError } from '../contract/config';
import { ordinal } from '../contract/results';
import { datasetLoader, resolveTrainingData } from '../data/trainingData';
import {
  type BackendDescription,
  type ExperimentConfig,
  describeBackend,
  formatAccuracy,
  metaTrain,
  selectBackend,
} from '../engine';
import { ProgressPrinter, formatDuration } from './progress';

export interface TrainCommandOptions {
  config: ExperimentConfig;
  json: boolean;
  checkpointDir?: string;
  resume: boolean;
  /** Where imported and embedded datasets live. */
  dataDir: string;
  signal: AbortSignal;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export async function trainCommand(o: TrainCommandOptions): Promise<number> {
  const { config, stdout, stderr } = o;
  const emit = (event: Record<string, unknown>) => stdout.write(`${JSON.stringify(event)}\n`);
  const progress = new ProgressPrinter(stderr);
  // A checkpoint folder that cannot be one is found now, not at the first save after training.
  if (o.checkpointDir) {
    try {
      mkdirSync(o.checkpointDir, { recursive: true });
      accessSync(o.checkpointDir, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConfigError([
        {
          field: '--checkpoint-dir',
          message:
            code === 'EEXIST' || code === 'ENOTDIR'
              ? `${o.checkpointDir} is a file, not a folder`
              : `${o.checkpointDir} cannot hold checkpoints: ${(e as Error).message}`,
        },
      ]);
    }
  }
  // The dataset is resolved (and the config checked against it) before the backend starts.
  const { dataset, external } = await resolveTrainingData(config, datasetLoader(o.dataDir));
  const backend: BackendDescription = await selectBackend(config.backend);
  if (o.json) emit({ type: 'backend', backend });
  else progress.line(`backend: ${describeBackend(backend)}`);

  const result = await metaTrain({
    config,
    dataset,
    external,
    threads: backend.threads,
    checkpointDir: o.checkpointDir,
    resume: o.resume,
    // An explicit --resume with nothing to resume from is refused, not a silent fresh start.
    resumePoint: { required: true },
    signal: o.signal,
    callbacks: {
      onStart: (info) => {
        if (o.json) emit({ type: 'start', dataset: dataset.name, config, ...info });
        else {
          progress.line(`dataset: ${dataset.name}; ${info.classSplit}`);
          progress.line(`${info.network}; ${info.metaParameters} meta-parameters`);
          if (info.resumedFrom)
            progress.line(`resumed from ${info.resumedFrom} (iteration ${info.startIteration})`);
        }
      },
      onIteration: (p) => (o.json ? void emit({ type: 'iteration', ...p }) : progress.iteration(p)),
      onPretrain: (p) => {
        if (o.json) emit({ type: 'pretrain', ...p });
        else if (p.iteration === p.iterations || p.iteration % 50 === 0) {
          progress.line(
            `pretraining G + D ${p.iteration}/${p.iterations}: loss ${p.loss.toFixed(3)}, external accuracy ${(100 * p.accuracy).toFixed(1)}%`,
          );
        }
      },
      onValidation: (v) => {
        const { accuracies: _omit, ...summary } = v;
        if (o.json) emit({ type: 'validation', ...summary });
        else progress.line(`validation @${v.iteration}: ${formatAccuracy(v)} over ${v.tasks} tasks`);
      },
      onCheckpoint: (path, iteration) => {
        if (o.json) emit({ type: 'checkpoint', path, iteration });
      },
      onEvaluationProgress: (done, total) => {
        if (!o.json && stderr.isTTY) stderr.write(`\rmeta-test ${done}/${total}\x1b[K`);
      },
    },
  });

  if (result.status === 'cancelled') {
    const hint = result.lastCheckpoint
      ? `resume with: deml train --resume --checkpoint-dir ${o.checkpointDir} (same config)`
      : 'no checkpoint directory was given, so nothing was saved';
    if (o.json) emit({ type: 'cancelled', iteration: result.iterations, checkpoint: result.lastCheckpoint });
    else progress.line(`cancelled at iteration ${result.iterations}; ${hint}`);
    return 130;
  }
  const test = result.test!;
  if (o.json) emit({ type: 'result', iterations: result.iterations, durationMs: result.durationMs, test });
  else {
    if (stderr.isTTY) stderr.write('\r\x1b[K');
    const took = `${result.iterations} iterations in ${formatDuration(result.durationMs)}`;
    if (test.byInstance) {
      // A MANN: its accuracy is that of a class's 2nd presentation; the paper reports them all.
      stdout.write(
        `meta-test accuracy: ${formatAccuracy(test)} at a class's 2nd presentation (${config.ways}-way sequences ` +
          `of ${test.instances} presentations, ${test.tasks} tasks of ${config.mann.batch}; ${took})\n` +
          `by presentation: ${test.byInstance.map((s, k) => `${ordinal(k + 1)} ${formatAccuracy(s, 1)}`).join(', ')}\n`,
      );
    } else {
      stdout.write(
        `meta-test accuracy: ${formatAccuracy(test)} (${config.ways}-way ${config.shots}-shot, ${test.tasks} tasks, ` +
          `${test.innerSteps > 0 ? `${test.innerSteps} inner steps` : 'no adaptation'}; ${took})\n`,
      );
    }
  }
  return 0;
}
