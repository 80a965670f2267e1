/**
 * `deml sweep`: tune learners fairly (the same trials each), choose on meta-validation, then
 * train each learner's choice on fresh seeds and meta-test it; `deml sweeps`: list or show them.
 * Like `deml launch`, it runs the sweep here when no workbench holds the data directory, and
 * leaves it to the one that does otherwise.
 */
import { LEARNERS, type LearnerName } from '../contract/config';
import { exportTable, EXPORT_FORMATS, type ExportFormat } from '../contract/exportTable';
import { comparedRun, resultsTable } from '../contract/results';
import {
  SWEEP_METHODS,
  type SweepDetail,
  type SweepInput,
  type SweepMethod,
  describeDimension,
  describeValues,
  formatFraction,
  parseDimension,
  parseRungs,
} from '../contract/sweep';
import type { WorkbenchService } from '../service/service';
import { configFromFlags, readConfigFile } from './args';
import { type FlagValues, defineCommand } from './command';
import { EXECUTOR_FLAGS, executorOf } from './executorFlags';
import { formatDuration } from './progress';
import { addTrainFlags, stringValues } from './trainFlags';
import { DATA_DIR_FLAG, UsageError, dataDirOf, decimalNumber, intFlag } from './usage';
import { openClient, openOwnerOrClient } from './workbench';

const err = (s: string) => process.stderr.write(`${s}\n`);
const out = (s: string) => process.stdout.write(`${s}\n`);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const trials = (n: number) => `${n} trial${n === 1 ? '' : 's'}`;

const SWEEP_FLAGS = {
  learners: {
    type: 'string',
    value: 'LEARNER,…',
    help: `the learners to tune, each with the same trials (${LEARNERS.join(', ')})`,
  },
  space: {
    type: 'string',
    value: 'SETTING=…',
    multiple: true,
    help: "a setting to search, once per setting: 'inner-lr=log(0.01,1)', 'meta-lr=lin(1e-4,1e-2)', 'inner-steps=1,3,5', 'activation=choice(relu,elu)'",
  },
  method: {
    type: 'string',
    value: 'METHOD',
    help: 'grid or random (default: random)',
    choices: SWEEP_METHODS,
  },
  trials: { type: 'string', value: 'N', help: 'trials per learner (a grid gives at most its points)' },
  asha: {
    type: 'string',
    value: 'F,…',
    help: 'successive halving at these fractions of the iterations, e.g. 1/9,1/3: the weaker trials stop there',
  },
  'final-seeds': {
    type: 'string',
    value: 'K',
    help: "fresh seeds each learner's chosen configuration is trained on and meta-tested with (default 3)",
  },
  budget: {
    type: 'string',
    value: 'ITERATIONS',
    help: 'at most this many iterations trained by all the trials',
  },
  'sweep-seed': { type: 'string', value: 'N', help: 'seeds the random draws of the trials (default 0)' },
  parallel: { type: 'string', value: 'N', help: 'trials trained at once (default 1)' },
  name: { type: 'string', value: 'NAME', help: "the sweep's name" },
  config: {
    type: 'string',
    value: 'file.json',
    help: 'the base config (JSON); the training flags override its fields',
  },
  format: {
    type: 'string',
    value: 'FORMAT',
    help: 'the final results table as Markdown, LaTeX or CSV (default: md)',
    choices: EXPORT_FORMATS,
  },
  detach: {
    type: 'boolean',
    help: 'leave the sweep to the next workbench on the data directory; do not run it here',
  },
  'data-dir': DATA_DIR_FLAG,
  ...EXECUTOR_FLAGS,
} as const;

export const SWEEP = defineCommand({
  name: 'sweep',
  summary:
    'tune learners on meta-validation (grid or random, with successive halving), then meta-test each choice on fresh seeds',
  details:
    "Each learner gets the same trials. Trials are compared on meta-validation only and are never meta-tested; each learner's best is then trained again on fresh seeds and meta-tested once. " +
    'Ctrl-C cancels the sweep (its runs checkpoint). Example:\n' +
    "  deml sweep --learners maml,metasgd --space 'inner-lr=log(0.01,1)' --space 'meta-lr=log(1e-4,1e-2)' --trials 16 --asha 1/9,1/3 --final-seeds 3",
  options: SWEEP_FLAGS,
  moreOptions: addTrainFlags,
  run: (values, _args, signal) => sweepCommand(values, signal),
});

export const SWEEPS = defineCommand({
  name: 'sweeps',
  summary: 'list the sweeps, or show one: its trials, the rungs, the chosen settings, the final runs',
  options: { 'data-dir': DATA_DIR_FLAG },
  args: [{ name: 'ID', help: 'show this sweep' }],
  run: async (values, [id]) => {
    const service = openClient(dataDirOf(values));
    try {
      if (id === undefined) {
        const list = await service.call('sweeps:list', []);
        if (!list.length) out('no sweeps yet (deml sweep --help)');
        for (const s of list)
          out(
            `sweep ${s.id}: ${s.name}; ${s.status}${s.status === 'running' ? ` (${s.phase})` : ''}; ` +
              `${s.trialsEnded}/${s.trialsTotal} trials ended; ${s.spec.learners.join(', ')}`,
          );
      } else {
        const n = decimalNumber(id);
        if (!Number.isInteger(n) || n <= 0) throw new UsageError(`ID is a number ≥ 1, got '${id}'`);
        printSweep(service, service.sweep(n), 'md');
      }
    } finally {
      await service.close();
    }
    return 0;
  },
});

function sweepInput(values: FlagValues<typeof SWEEP_FLAGS>): SweepInput {
  const learners = (values.learners ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!learners.length) throw new UsageError('--learners is required (e.g. --learners maml,metasgd)');
  const unknown = learners.filter((l) => !(LEARNERS as readonly string[]).includes(l));
  if (unknown.length)
    throw new UsageError(`unknown learner(s) ${unknown.join(', ')} (known: ${LEARNERS.join(', ')})`);
  if (!values.space?.length)
    throw new UsageError("--space is required (e.g. --space 'inner-lr=log(0.01,1)')");
  const trials = intFlag('trials', values.trials);
  if (trials === undefined) throw new UsageError('--trials is required');
  const guard = <T>(flag: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new UsageError(`--${flag}: ${(e as Error).message}`);
    }
  };
  const base = values.config !== undefined ? readConfigFile(values.config) : {};
  const config = configFromFlags(base, stringValues(values));
  const method = (values.method ?? 'random') as SweepMethod;
  if (!SWEEP_METHODS.includes(method)) throw new UsageError(`--method is one of ${SWEEP_METHODS.join(', ')}`);
  const executor = executorOf(values);
  return {
    name: values.name ?? `sweep: ${learners.join(' vs ')} on ${config.data}`,
    config: config as unknown as Record<string, unknown>,
    learners: learners as LearnerName[],
    space: values.space.map((text) => guard('space', () => parseDimension(text))),
    method,
    trials,
    ...(values.asha !== undefined ? { rungs: guard('asha', () => parseRungs(values.asha!)) } : {}),
    ...(values['final-seeds'] !== undefined
      ? { finalSeeds: intFlag('final-seeds', values['final-seeds'])! }
      : {}),
    ...(values.budget !== undefined ? { budget: intFlag('budget', values.budget)! } : {}),
    ...(values['sweep-seed'] !== undefined ? { seed: intFlag('sweep-seed', values['sweep-seed'], 0)! } : {}),
    ...(values.parallel !== undefined ? { parallel: intFlag('parallel', values.parallel)! } : {}),
    ...(executor ? { executor } : {}),
  };
}

async function sweepCommand(values: FlagValues<typeof SWEEP_FLAGS>, signal: AbortSignal): Promise<number> {
  const input = sweepInput(values);
  const format = (values.format ?? 'md') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    throw new UsageError(`--format is one of ${EXPORT_FORMATS.join(', ')}`);
  const dataDir = dataDirOf(values);
  const service = openOwnerOrClient(dataDir, values.detach === true, input.parallel ?? 1);
  try {
    const sweep = await service.createSweep(input);
    err(
      `sweep ${sweep.id} (${sweep.name}): ${Object.entries(sweep.trialsPerLearner)
        .map(([l, n]) => `${trials(n!)} of ${l}`)
        .join(', ')} over ${sweep.spec.space.map(describeDimension).join('; ')}` +
        (sweep.rungs.length
          ? `; successive halving at ${sweep.rungs.map((r) => `${formatFraction(sweep.spec.rungs[r.rung]!)} (iteration ${r.iteration}, η ${r.eta.toFixed(2)})`).join(', ')}`
          : ''),
    );
    if (!service.queue) {
      err(`the workbench on ${dataDir} runs it; follow it with: deml sweeps ${sweep.id}`);
      return 0;
    }
    const t0 = Date.now();
    const done = await follow(service, sweep.id, signal);
    err(`sweep ${sweep.id} ${done.status} in ${formatDuration(Date.now() - t0)}`);
    printSweep(service, done, format);
    if (signal.aborted) return 130;
    return done.status === 'completed' ? 0 : 1;
  } finally {
    await service.close();
  }
}

/** Run the sweep here to its end, saying what each trial does; Ctrl-C cancels it. */
async function follow(service: WorkbenchService, id: number, signal: AbortSignal): Promise<SweepDetail> {
  const onAbort = () => {
    err('cancelling the sweep (its runs checkpoint first)…');
    service.cancelSweep(id);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const said = new Map<number, string>();
  const off = service.on('run:status', (r) => {
    if (r.sweep?.id !== id) return;
    const what =
      r.status === 'running' || r.status === 'queued'
        ? null
        : r.stoppedEarly
          ? r.stoppedEarly
          : `${r.status}${r.error ? `: ${r.error}` : ''}`;
    if (!what || said.get(r.id) === what) return;
    said.set(r.id, what);
    const role = r.sweep.role === 'trial' ? `trial ${r.sweep.trial + 1}` : `final seed ${r.seed}`;
    err(`  ${r.learner} ${role} (run ${r.id}): ${what}`);
  });
  try {
    // The sweep's row alone while it runs (its detail reads every trial's evaluations).
    while (service.store.sweeps.get(id)?.status === 'running') await new Promise((r) => setTimeout(r, 250));
    // Its runs still checkpointing after a cancel are waited for: nothing is left running.
    await service.queue!.idle(service.store.runs.list({ sweepId: id }).map((r) => r.id));
    return service.sweep(id);
  } finally {
    off();
    signal.removeEventListener('abort', onAbort);
  }
}

/** The trials (by learner, best first), what was chosen, and the final results table. */
export function printSweep(service: WorkbenchService, s: SweepDetail, format: ExportFormat): void {
  out(`sweep ${s.id}: ${s.name} (${s.status}${s.status === 'running' ? `, ${s.phase}` : ''})`);
  out(
    `space: ${s.spec.space.map(describeDimension).join('; ')}; ${s.spec.method}, ${trials(s.spec.trials)} per learner`,
  );
  if (s.error) out(`note: ${s.error}`);
  for (const learner of s.spec.learners) {
    const trials = s.trials
      .filter((t) => t.learner === learner)
      .sort((a, b) => (b.validation?.mean ?? -1) - (a.validation?.mean ?? -1));
    out(`\n${learner}: ${trials.length} trial(s)`);
    for (const t of trials) {
      const status =
        t.stoppedEarly && t.status === 'cancelled' ? `stopped at iteration ${t.iteration}` : t.status;
      out(
        `  #${String(t.trial + 1).padEnd(3)} ${describeValues(t.values).padEnd(48)} ` +
          `${t.validation ? `val ${pct(t.validation.mean)} ± ${pct(t.validation.ci95)} @${t.validation.iteration}` : 'no validation'}  ${status}`,
      );
    }
    const chosen = s.chosen[learner];
    if (chosen) out(`  chosen: ${describeValues(chosen.values)} (validation ${pct(chosen.validation)})`);
  }
  const finished = s.finals.filter((r) => r.testMean != null);
  if (s.phase === 'done' && finished.length) {
    // The comparison to cite: the chosen configurations on fresh seeds, meta-tested once.
    const compared = service
      .compareRuns(
        finished.map((r) => r.id),
        [],
      )
      .map(comparedRun);
    out(`\n${exportTable(resultsTable(compared), format)}`);
    out(`(the final runs are experiment ${s.finalExperimentId}: compare them in the workbench)`);
  }
}
