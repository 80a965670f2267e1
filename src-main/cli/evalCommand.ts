/** `deml eval`'s evaluation (the command's definition is eval.ts). */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ExperimentConfig } from '../contract/config';
import { type EvaluationRequest, EvaluationRequestSchema, describeEvaluation } from '../contract/evaluation';
import { ConfigError, describeIssue } from '../contract/config';
import { type PreparedEvaluation, prepareEvaluation } from '../data/evaluationData';
import { datasetLoader } from '../data/trainingData';
import { describeBackend, formatAccuracy } from '../engine';
import { listCheckpoints, readCheckpointHeader } from '../engine/checkpointHeader';
import { evaluatePrepared, storedAs } from '../jobs/evaluationJob';
import { evaluationRecord } from '../jobs/evaluationRecord';
import { formatDuration } from './progress';
import type { FlagValues } from './command';
import { UsageError, dataDirOf, intFlag } from './usage';
import { openClient } from './workbench';

import type { EVAL_FLAGS } from './eval';

export async function evalCommand(
  values: FlagValues<typeof EVAL_FLAGS>,
  signal: AbortSignal,
): Promise<number> {
  if ((values.run === undefined) === (values.checkpoint === undefined)) {
    throw new UsageError(
      'give --run ID or --checkpoint PATH, one of them (deml eval --help shows the options)',
    );
  }
  if (values.checkpoint !== undefined && values.step !== undefined) {
    throw new UsageError('--step chooses among a run’s checkpoints; with --checkpoint, give the file itself');
  }
  const parsed = EvaluationRequestSchema.safeParse(
    Object.fromEntries(
      Object.entries({
        step: intFlag('step', values.step, 0),
        data: values.data,
        split: values.split,
        ways: intFlag('ways', values.ways, 2),
        shots: intFlag('shots', values.shots),
        queries: intFlag('queries', values.queries),
        innerSteps: intFlag('inner-steps', values['inner-steps'], 0),
        tasks: intFlag('tasks', values.tasks),
        episodeSeed: intFlag('episode-seed', values['episode-seed'], 0),
        episodeFile: values.episodes,
        episodePathsOutside: values['episodes-outside'],
      }).filter(([, v]) => v !== undefined),
    ),
  );
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: describeIssue(i) })),
    );
  }
  const request: EvaluationRequest = parsed.data;
  const dataDir = dataDirOf(values);
  const load = datasetLoader(dataDir);
  const err = (s: string) => process.stderr.write(`${s}\n`);
  const progress = (done: number, total: number) => {
    if (!values.json && process.stderr.isTTY) process.stderr.write(`\revaluating ${done}/${total}\x1b[K`);
  };

  let trained: ExperimentConfig;
  let prepared: PreparedEvaluation;
  let runId: number | null = null;
  if (values.run !== undefined) {
    runId = intFlag('run', values.run)!;
    const service = openClient(dataDir);
    try {
      const run = service.run(runId);
      trained = run.config;
      prepared = await prepareEvaluation({
        trained,
        request,
        checkpoints: run.checkpoints,
        owner: `run ${runId}`,
        load,
        dataDir,
      });
    } finally {
      await service.close();
    }
  } else {
    const path = values.checkpoint!;
    const isDir = await stat(path).then(
      (s) => s.isDirectory(),
      () => {
        throw new UsageError(`--checkpoint ${path} does not exist`);
      },
    );
    const files = isDir ? await listCheckpoints(path) : [path];
    const checkpoints = await Promise.all(
      files.map(async (file) => ({ file, step: (await readCheckpointHeader(file)).iteration })),
    );
    if (checkpoints.length === 0) throw new UsageError(`no checkpoint in ${path}`);
    trained = (await readCheckpointHeader(checkpoints.at(-1)!.file)).config;
    prepared = await prepareEvaluation({
      trained,
      request,
      checkpoints,
      owner: `checkpoint folder ${isDir ? path : dirname(path)}`,
      load,
      dataDir,
    });
  }

  const what = describeEvaluation({
    dataset: prepared.settings.data,
    split: prepared.episodeFile ? null : prepared.settings.split,
    ways: prepared.episodeFile?.shape.ways ?? prepared.settings.ways,
    shots: prepared.episodeFile?.shape.shots ?? prepared.settings.shots,
    tasks: prepared.episodeFile?.episodes.length ?? prepared.settings.tasks,
    episodeFileName: prepared.episodeFile?.name,
  });
  if (!values.json) err(`evaluating iteration ${prepared.checkpoint.step} of ${trained.learner}: ${what}`);
  const result = await evaluatePrepared(prepared, {
    backend: trained.backend,
    signal,
    onProgress: progress,
    onBackend: (b) => {
      if (!values.json) err(`backend: ${describeBackend(b)}`);
    },
  });
  if (!values.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  let evaluationId: number | null = null;
  if (runId != null) {
    const service = openClient(dataDir);
    try {
      evaluationId = service.store.evaluations.insert(
        evaluationRecord(result, { runId, ...storedAs(prepared) }),
      );
    } finally {
      await service.close();
    }
  }
  if (values.json) {
    const { accuracies, ...summary } = result;
    process.stdout.write(
      `${JSON.stringify({
        type: 'evaluation',
        runId,
        evaluationId,
        step: prepared.checkpoint.step,
        dataset: prepared.settings.data,
        ...summary,
        // Episodes from a file come from no split: the file names them.
        split: prepared.episodeFile ? null : prepared.settings.split,
        episodeFile: prepared.episodeFile?.hash ?? null,
        episodeFileName: prepared.episodeFile?.name ?? null,
        accuracies,
      })}\n`,
    );
  } else {
    process.stdout.write(
      `accuracy: ${formatAccuracy(result)} (${what}, ${result.innerSteps} inner steps` +
        `${result.newHead ? `, a new zero ${result.ways}-way output layer` : ''}; ${formatDuration(result.durationMs)})\n`,
    );
    if (evaluationId != null) err(`stored as evaluation ${evaluationId} of run ${runId}`);
  }
  return 0;
}
