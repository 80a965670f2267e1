/**
 * `deml launch | runs | cancel | resume`: experiments and runs in the store, through the service.
 *
 * When no workbench (app or `deml serve`) holds the data directory, `launch` and `resume` run
 * the queue in the foreground until their runs end (Ctrl-C cancels, with a checkpoint). When one
 * does, they leave the runs queued in the store and that workbench trains them.
 */
import { describeMachine, describeSoftware } from '../contract/provenance';
import { LEARNERS, type LearnerName } from '../contract/config';
import { describeEvaluation } from '../contract/evaluation';
import { ordinal } from '../contract/results';
import { describeExecutor, describeSlurmJob } from '../contract/executor';
import {
  RUN_STATUSES,
  type RunDetail,
  type RunStatus,
  type RunSummary,
  trainingTime,
} from '../contract/records';
import type { WorkbenchService } from '../service/service';
import { interruptLostRuns } from '../jobs/queue';
import { describeWriteError } from '../store/database';
import { lockHolder } from '../store/instanceLock';
import { configFromFlags, readConfigFile } from './args';
import { type FlagValues, defineCommand } from './command';
import { addTrainFlags, stringValues } from './trainFlags';
import { DATA_DIR_FLAG, UsageError, dataDirOf, decimalNumber, intFlag } from './usage';
import { openClient, openOwnerOrClient } from './workbench';
import { formatDuration } from './progress';
import { EXECUTOR_FLAGS, executorOf } from './executorFlags';

const DETACH_FLAG = {
  type: 'boolean',
  help: 'leave the runs queued for the next workbench on the data directory; do not train them here',
} as const;

const LAUNCH_FLAGS = {
  config: {
    type: 'string',
    value: 'file.json',
    help: 'an experiment config (JSON); the training flags override its fields',
  },
  name: { type: 'string', value: 'NAME', help: "the experiment's name (default: its learners and dataset)" },
  description: { type: 'string', value: 'TEXT', help: "the experiment's description" },
  tags: { type: 'string', value: 'TAG,…', help: "the experiment's tags" },
  learners: {
    type: 'string',
    value: 'LEARNER,…',
    help: `a run for each of these learners (${LEARNERS.join(', ')}), on the same config`,
  },
  seeds: { type: 'string', value: 'N,…', help: 'a run for each of these seeds (with each learner)' },
  detach: DETACH_FLAG,
  'data-dir': DATA_DIR_FLAG,
  ...EXECUTOR_FLAGS,
} as const;

export const LAUNCH = defineCommand({
  name: 'launch',
  summary: 'create an experiment (learners × seeds) in the store and train its runs',
  details:
    'With no workbench on the data directory, the runs train here until they end (Ctrl-C cancels them, ' +
    'with a checkpoint); with one, it trains them. The training flags override the --config file.',
  options: LAUNCH_FLAGS,
  moreOptions: addTrainFlags,
  run: (values, _args, signal) => launchCommand(values, signal),
});

export const RUNS = defineCommand({
  name: 'runs',
  summary: 'list the stored runs, or show one',
  options: {
    experiment: { type: 'string', value: 'ID', help: "only this experiment's runs" },
    status: { type: 'string', value: 'STATUS', help: 'only the runs in this status', choices: RUN_STATUSES },
    json: { type: 'boolean', help: 'print them as JSON' },
    'data-dir': DATA_DIR_FLAG,
  },
  args: [{ name: 'ID', help: 'show this run: its status, evaluations and checkpoints' }],
  run: (values, [id]) => runsCommand(values, id),
});

export const CANCEL = defineCommand({
  name: 'cancel',
  summary: 'cancel a queued or running run (it checkpoints first)',
  options: { 'data-dir': DATA_DIR_FLAG },
  args: [{ name: 'ID', help: 'the run', required: true }],
  run: (values, [id]) => cancelCommand(values, id),
});

const RESUME_FLAGS = {
  from: {
    type: 'string',
    value: 'ITERATION',
    help: 'from the kept checkpoint at this iteration (0: from scratch); default: the newest',
  },
  detach: DETACH_FLAG,
  'data-dir': DATA_DIR_FLAG,
} as const;

export const RESUME = defineCommand({
  name: 'resume',
  summary: 'continue a cancelled, interrupted or failed run from its newest checkpoint (or --from N)',
  options: RESUME_FLAGS,
  args: [{ name: 'ID', help: 'the run', required: true }],
  run: (values, [id], signal) => resumeCommand(values, id, signal),
});

const pct = (x: number | null) => (x == null ? '' : Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : 'n/a');

function listOf(flag: string, raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new UsageError(`--${flag} expects a comma-separated list`);
  return parts;
}

function seedsOf(raw: string | undefined): number[] | undefined {
  const parts = listOf('seeds', raw)?.map(Number);
  if (parts && parts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new UsageError(`--seeds expects integers ≥ 0 separated by commas, got '${raw}'`);
  }
  return parts;
}

function learnersOf(raw: string | undefined): LearnerName[] | undefined {
  const parts = listOf('learners', raw);
  const unknown = parts?.filter((p) => !(LEARNERS as readonly string[]).includes(p));
  if (unknown?.length)
    throw new UsageError(`unknown learner(s) ${unknown.join(', ')} (known: ${LEARNERS.join(', ')})`);
  return parts as LearnerName[] | undefined;
}

/** A run's or an experiment's id: `what` names it in the refusal ('ID', '--experiment'). */
function runId(raw: string | undefined, what: string): number {
  const id = raw === undefined ? Number.NaN : decimalNumber(raw);
  if (!Number.isInteger(id) || id <= 0) {
    throw new UsageError(`${what} is a number ≥ 1, got '${raw ?? ''}'`);
  }
  return id;
}

/**
 * Train the given runs in the foreground, printing their progress: 0 when each completed or was
 * cancelled from elsewhere, 1 when one failed, 130 when this command was interrupted.
 */
async function follow(service: WorkbenchService, ids: number[], signal: AbortSignal): Promise<number> {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  const onAbort = () => {
    err('cancelling (the trainer checkpoints first)…');
    for (const id of ids) {
      const s = service.store.runs.get(id)?.status;
      if (s === 'queued' || s === 'running') service.cancelRun(id);
    }
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let lastLine = 0;
  const reported = new Map<number, RunStatus>();
  const off = [
    service.on('run:progress', (p) => {
      const now = Date.now();
      if (p.phase !== 'training' || (now - lastLine < 5000 && p.iteration !== p.iterations)) return;
      lastLine = now;
      err(
        `run ${p.runId}: ${p.iteration}/${p.iterations} loss ${p.loss?.toFixed(3)} acc ${pct(p.accuracy)} ` +
          `${p.tasksPerSecond?.toFixed(1)} tasks/s ETA ${formatDuration(p.etaMs ?? Number.NaN)}`,
      );
    }),
    service.on('run:status', (r) => {
      if (r.status !== 'running' && r.status !== 'queued' && reported.get(r.id) !== r.status) {
        reported.set(r.id, r.status);
        err(`run ${r.id} (${r.learner}, seed ${r.seed}): ${r.status}${r.error ? `: ${r.error}` : ''}`);
      }
    }),
  ];
  try {
    await service.queue!.idle(ids);
    // Work another command queued meanwhile (a second `deml launch`, `deml eval`) was promised to
    // this owner of the directory: it is done before exiting, not left behind interrupted.
    if (!signal.aborted && service.queue!.busyBesides(ids)) {
      err(
        'finishing the runs and evaluations queued meanwhile on this data directory (Ctrl-C leaves them for later)…',
      );
      await Promise.race([
        service.queue!.idle(),
        new Promise((r) => signal.addEventListener('abort', r, { once: true })),
      ]);
      if (signal.aborted) {
        const left = service.store.runs.list({ status: 'queued' }).map((r) => r.id);
        if (left.length)
          err(`run(s) ${left.join(', ')} stay queued: the next workbench on this data directory trains them`);
      }
    }
  } finally {
    off.forEach((f) => f());
    signal.removeEventListener('abort', onAbort);
  }
  const storeError = service.queue!.storeError;
  if (storeError) {
    err(
      `some results could not be recorded: ${storeError}. What was stored before is kept; a run still ` +
        'shown "running" is marked interrupted, and can be resumed, when a workbench next starts here with room.',
    );
  }
  const runs = ids.map((id) => service.store.runs.summary(id)!);
  printRuns(runs);
  // 130 is for this command interrupted (Ctrl-C, SIGTERM). A run cancelled from elsewhere (deml
  // cancel, the workbench) ended as a user asked: no failure of this command.
  if (signal.aborted) return 130;
  return runs.every((r) => r.status === 'completed' || r.status === 'cancelled') ? 0 : 1;
}

function printRuns(runs: RunSummary[]): void {
  const rows = [
    ['run', 'experiment', 'learner', 'seed', 'status', 'iteration', 'meta-test', 'backend / error'],
    ...runs.map((r) => [
      String(r.id),
      r.experimentName.length > 24 ? `${r.experimentName.slice(0, 23)}…` : r.experimentName,
      r.learner,
      String(r.seed),
      r.stoppedEarly && r.status === 'cancelled' ? 'stopped early' : r.status,
      `${r.iteration}/${r.iterations}`,
      r.testMean == null ? '' : `${pct(r.testMean)} ± ${pct(r.testCi95)}`,
      r.error ?? (r.status === 'running' && r.slurm ? describeSlurmJob(r.slurm) : (r.backend ?? '')),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) {
    process.stdout.write(
      `${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`,
    );
  }
}

function printDetail(run: RunDetail): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(
    `run ${run.id}: ${run.learner}, seed ${run.seed}, experiment ${run.experimentId} (${run.experimentName})`,
  );
  out(
    `status: ${run.status}${run.error ? ` (${run.error})` : ''}; iteration ${run.iteration}/${run.iterations}; attempt ${run.attempt + 1}`,
  );
  if (run.executor?.kind === 'slurm') out(`executor: ${describeExecutor(run.executor)}`);
  if (run.slurm) out(describeSlurmJob(run.slurm));
  if (run.backend) out(`backend: ${run.backend}`);
  if (run.provenance) {
    out(`software: ${describeSoftware(run.provenance)}`);
    out(`machine: ${describeMachine(run.provenance)}`);
  }
  if (run.classSplit) out(`split: ${run.classSplit}`);
  if (run.startedAt) {
    // Its training time: the attempts' running time, not the time queued or stopped between them.
    out(
      `started ${new Date(run.startedAt).toISOString()}, trained ${formatDuration(trainingTime(run))}${run.status === 'running' ? ' so far' : ''}`,
    );
  }
  for (const e of run.evaluations) {
    const kind = e.origin === 'training' ? (e.split === 'val' ? 'validation' : 'meta-test') : 'evaluation';
    out(
      `${kind} of iteration ${e.step}: ${pct(e.mean)} ± ${pct(e.ci95)}, ${describeEvaluation(e)}` +
        `${e.episodeFile ? '' : `, episode seed ${e.episodeSeed}`}, ${e.innerSteps} inner steps`,
    ); // A MANN's headline is its 2nd presentation; every presentation says whether it learned to bind.
    if (e.byInstance) {
      out(
        `  by presentation: ${e.byInstance.map((b, k) => `${ordinal(k + 1)} ${pct(b.mean)} ± ${pct(b.ci95)}`).join(', ')}`,
      );
    }
  }
  for (const r of run.pendingEvaluations) {
    out(
      `evaluation request ${r.id}: ${r.status}${r.error ? ` (${r.error})` : ''}${r.status === 'running' ? ` ${r.done}/${r.total}` : ''}`,
    );
  }
  const last = run.checkpoints.at(-1);
  if (last) out(`newest checkpoint: iteration ${last.step} (${last.file})`);
}

async function launchCommand(values: FlagValues<typeof LAUNCH_FLAGS>, signal: AbortSignal): Promise<number> {
  const executor = executorOf(values);
  const base = values.config !== undefined ? readConfigFile(values.config) : {};
  const config = configFromFlags(base, stringValues(values));
  const learners = learnersOf(values.learners);
  const seeds = seedsOf(values.seeds);
  const dataDir = dataDirOf(values);
  const detach = values.detach === true;
  const service = openOwnerOrClient(dataDir, detach);
  let queued: number[];
  try {
    const { experiment, runs } = await service.createExperiment({
      name: values.name ?? `${(learners ?? [config.learner]).join(' vs ')} on ${config.data}`,
      description: values.description,
      tags: listOf('tags', values.tags),
      config,
      learners,
      seeds,
      executor,
    });
    queued = runs.map((r) => r.id);
    process.stderr.write(
      `experiment ${experiment.id} (${experiment.name}): runs ${queued.join(', ')} queued\n`,
    );
  } catch (e) {
    await service.close();
    throw e;
  }
  return trainOrLeave(service, dataDir, queued, detach, signal);
}

/**
 * Train the runs just queued through `service` in the foreground when it owns the data directory;
 * else leave them to the workbench that does. Closes `service`.
 *
 * A foreground owner exits once its work is drained; a client may queue runs at that very moment.
 * Each side checks after its own write (the client the lock, after committing its runs; the
 * owner the queue, after releasing the lock), so at least one sees the other, and the lock
 * decides which of them trains the runs: they are never left queued with nobody coming.
 */
export async function trainOrLeave(
  service: WorkbenchService,
  dataDir: string,
  ids: number[],
  detach: boolean,
  signal: AbortSignal,
): Promise<number> {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  let owner = service.queue != null;
  try {
    if (!owner) {
      if (detach) {
        err('left queued (--detach): the next workbench started on this data directory will train them');
        return 0;
      }
      let holder = lockHolder(dataDir);
      if (!holder) {
        // The owner exited between our open and our commit: train them here.
        await service.close();
        service = openOwnerOrClient(dataDir, false);
        owner = service.queue != null;
        holder = owner ? null : lockHolder(dataDir);
        if (owner) err('the workbench that owned this data directory has exited: training them here');
      }
      if (!owner) {
        err(
          holder
            ? `the ${holder.owner} (pid ${holder.pid}) running on this data directory will train them (a foreground \`deml launch\` finishes them before it exits)`
            : 'left queued: the next workbench started on this data directory will train them',
        );
        return 0;
      }
    }
    return await follow(service, ids, signal);
  } finally {
    await service.close();
    if (owner) await drainLeftovers(dataDir, signal);
  }
}

/** After an owner has let go of the directory: work queued in the meantime is trained here. */
export async function drainLeftovers(dataDir: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const probe = openClient(dataDir);
    const queued = probe.store.runs.list({ status: 'queued' }).map((r) => r.id);
    const evaluations = probe.store.evaluationRequests.nextQueued() != null;
    await probe.close();
    if (!queued.length && !evaluations) return;
    const service = openOwnerOrClient(dataDir, false);
    try {
      if (!service.queue) return; // another workbench took the directory: it trains them
      process.stderr.write(
        `${queued.length ? `run(s) ${queued.join(', ')}` : 'evaluations'} were queued as this one finished: training them too…\n`,
      );
      await follow(service, queued, signal);
    } finally {
      await service.close();
    }
  }
}

async function runsCommand(
  values: { experiment?: string; status?: string; json?: boolean; 'data-dir'?: string },
  id: string | undefined,
): Promise<number> {
  const status = values.status as RunStatus | undefined;
  if (status && !RUN_STATUSES.includes(status)) {
    throw new UsageError(`--status is one of ${RUN_STATUSES.join(', ')}`);
  }
  const dataDir = dataDirOf(values);
  const service = openClient(dataDir);
  try {
    // With no workbench owning the directory (its owner was killed), a run it left "running" would
    // read so, with no reason, until a workbench next starts here: say what happened now instead.
    if (!lockHolder(dataDir)) {
      try {
        interruptLostRuns(service.store, {
          gone: 'the workbench that ran it stopped (its process is gone), and its trainer with it',
        });
      } catch (e) {
        // Listing must not fail for the note it could not write (a full disk): show what is stored.
        process.stderr.write(
          `deml runs: a run whose trainer is gone is still shown as running: ${describeWriteError(e)}\n`,
        );
      }
    }
    if (id) {
      const run = service.run(runId(id, 'ID'));
      if (values.json) process.stdout.write(`${JSON.stringify(run)}\n`);
      else printDetail(run);
      return 0;
    }
    const experimentId = values.experiment ? runId(values.experiment, '--experiment') : undefined;
    const runs = service.store.runs.list({ experimentId, status });
    if (values.json) process.stdout.write(`${JSON.stringify(runs)}\n`);
    else if (runs.length === 0) process.stdout.write('no runs yet\n');
    else printRuns(runs);
    return 0;
  } finally {
    await service.close();
  }
}

async function cancelCommand(values: { 'data-dir'?: string }, raw: string | undefined): Promise<number> {
  const id = runId(raw, 'ID');
  const service = openClient(dataDirOf(values));
  try {
    const run = service.cancelRun(id);
    process.stdout.write(
      run.status === 'running'
        ? `run ${id}: cancel requested; its trainer checkpoints and stops at the next iteration\n`
        : `run ${id}: ${run.status}\n`,
    );
    return 0;
  } finally {
    await service.close();
  }
}

async function resumeCommand(
  values: FlagValues<typeof RESUME_FLAGS>,
  raw: string | undefined,
  signal: AbortSignal,
): Promise<number> {
  const id = runId(raw, 'ID');
  const at = intFlag('from', values.from, 0);
  const dataDir = dataDirOf(values);
  const detach = values.detach === true;
  const service = openOwnerOrClient(dataDir, detach);
  try {
    service.resumeRun(id, at === undefined ? {} : { from: at });
    const newest = service.store.checkpoints.list(id).at(-1);
    const from =
      at === 0
        ? 'the start (from scratch, as asked)'
        : at != null
          ? `the checkpoint at iteration ${at}`
          : newest
            ? `its newest checkpoint (iteration ${newest.step})`
            : 'the start (no checkpoint was saved)';
    process.stderr.write(`run ${id} queued again; it continues from ${from}\n`);
  } catch (e) {
    await service.close();
    throw e;
  }
  return trainOrLeave(service, dataDir, [id], detach, signal);
}
