/**
 * `deml eval`: evaluate a trained model as papers report it, in this process. A stored run's
 * checkpoint (`--run ID`, the newest or `--step N`) is evaluated and the result stored with the
 * run; a checkpoint of `deml train --checkpoint-dir` (`--checkpoint PATH`) is evaluated and printed.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ExperimentConfig } from '../contract/config';
import {
  EVALUATION_SPLITS,
  type EvaluationRequest,
  EvaluationRequestSchema,
  describeEvaluation,
} from '../contract/evaluation';
import { ConfigError, describeIssue } from '../contract/config';
import { type PreparedEvaluation, prepareEvaluation } from '../data/evaluationData';
import { datasetLoader } from '../data/trainingData';
import { describeBackend, formatAccuracy } from '../engine';
import { listCheckpoints, readCheckpointHeader } from '../engine/checkpointHeader';
import { evaluatePrepared, storedAs } from '../jobs/evaluationJob';
import { evaluationRecord } from '../jobs/evaluationRecord';
import { formatDuration } from './progress';
import { type FlagValues, defineCommand } from './command';
import { DATA_DIR_FLAG, UsageError, dataDirOf, intFlag } from './usage';
import { openClient } from './workbench';

const EVAL_FLAGS = {
  run: { type: 'string', value: 'ID', help: 'a stored run: its newest checkpoint, or the one at --step' },
  step: { type: 'string', value: 'N', help: "which of the run's checkpoints: the one at iteration N" },
  checkpoint: {
    type: 'string',
    value: 'PATH',
    help: 'a checkpoint file of deml train --checkpoint-dir, or its folder (the newest in it)',
  },
  data: { type: 'string', value: 'NAME', help: 'the dataset to evaluate on (default: the one trained on)' },
  split: {
    type: 'string',
    value: 'SPLIT',
    help: "the dataset's classes to draw tasks from (default: test)",
    choices: EVALUATION_SPLITS,
  },
  ways: { type: 'string', value: 'N', help: 'N-way tasks (default: as trained)' },
  shots: { type: 'string', value: 'K', help: 'K support images per class (default: as trained)' },
  queries: { type: 'string', value: 'Q', help: 'query images per class (default: as trained)' },
  'inner-steps': {
    type: 'string',
    value: 'S',
    help: 'adaptation steps on each task (default: as trained for testing)',
  },
  tasks: { type: 'string', value: 'T', help: 'how many tasks (default: as trained for testing)' },
  'episode-seed': {
    type: 'string',
    value: 'S',
    help: "the seed the tasks are drawn with (default: the run's evaluation seed)",
  },
  episodes: {
    type: 'string',
    value: 'FILE.json',
    help: 'the fixed episodes of an episode file, in place of split, ways, shots, queries, tasks and seed',
  },
  'episodes-outside': {
    type: 'boolean',
    help: "let the episode file's image paths leave its folder (refused by default)",
  },
  json: { type: 'boolean', help: 'print the result as one JSON line' },
  'data-dir': DATA_DIR_FLAG,
} as const;

export const EVAL = defineCommand({
  name: 'eval',
  summary: 'evaluate a trained run (or checkpoint) on any dataset, split, N-way K-shot or episode file',
  details:
    'Give --run ID (the result is stored with the run) or --checkpoint PATH (it is printed). Settings ' +
    'not given are those the model was trained and tested with.',
  options: EVAL_FLAGS,
  run: (values, _args, signal) => evalCommand(values, signal),
});

async function evalCommand(values: FlagValues<typeof EVAL_FLAGS>, signal: AbortSignal): Promise<number> {
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
