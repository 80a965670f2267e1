/** `--executor slurm` and the Slurm options, shared by `deml launch` and `deml serve`. */
import { describeIssue } from '../contract/config';
import { type ExecutorChoice, executorChoiceSchema } from '../contract/executor';
import type { FlagValues } from './command';
import { UsageError, intFlag } from './usage';

const group = 'Where runs train:';

export const EXECUTOR_FLAGS = {
  executor: {
    type: 'string',
    value: 'KIND',
    help: 'here (local) or as Slurm jobs (slurm; what any Slurm option below implies)',
    choices: ['local', 'slurm'],
    group,
  },
  partition: { type: 'string', value: 'P', help: "Slurm: the partition (default: the cluster's)", group },
  time: { type: 'string', value: 'TIME', help: 'Slurm: the time limit, e.g. 04:00:00', group },
  cpus: { type: 'string', value: 'N', help: "Slurm: CPUs per run (the trainer's threads)", group },
  mem: { type: 'string', value: 'SIZE', help: 'Slurm: memory per run, e.g. 8G', group },
  gpus: { type: 'string', value: 'N', help: 'Slurm: GPUs per run', group },
  account: { type: 'string', value: 'A', help: 'Slurm: the account charged', group },
  sbatch: {
    type: 'string',
    value: 'ARG',
    help: 'Slurm: one more sbatch option, e.g. "--qos=high" (repeatable)',
    multiple: true,
    group,
  },
} as const;

type Values = FlagValues<typeof EXECUTOR_FLAGS>;

/** The executor the flags ask for, or undefined (the workbench's default). */
export function executorOf(values: Values): ExecutorChoice | undefined {
  const slurmFlags = (['partition', 'time', 'cpus', 'mem', 'gpus', 'account', 'sbatch'] as const).filter(
    (f) => values[f] !== undefined,
  );
  const kind = values.executor ?? (slurmFlags.length ? 'slurm' : undefined);
  if (kind === undefined) return undefined;
  if (kind === 'local') {
    if (slurmFlags.length)
      throw new UsageError(`--${slurmFlags[0]} is a Slurm option; it needs --executor slurm`);
    return { kind: 'local' };
  }
  if (kind !== 'slurm') throw new UsageError(`--executor is local or slurm, got '${kind}'`);
  const parsed = executorChoiceSchema.safeParse({
    kind: 'slurm',
    slurm: {
      partition: values.partition,
      time: values.time,
      cpus: intFlag('cpus', values.cpus),
      mem: values.mem,
      gpus: intFlag('gpus', values.gpus, 0),
      account: values.account,
      extra: values.sbatch,
    },
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path.at(-1) ?? 'executor');
    const flag = field === 'extra' || /^\d+$/.test(field) ? 'sbatch' : field;
    throw new UsageError(`--${flag}: ${describeIssue(issue)}`);
  }
  return parsed.data;
}
