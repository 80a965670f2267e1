/** `--executor slurm` and the Slurm options, shared by `deml launch` and `deml serve`. */
import { describeIssue } from '../contract/config';
import { type ExecutorChoice, executorChoiceSchema } from '../contract/executor';
import { UsageError, intFlag } from './usage';

export const EXECUTOR_OPTIONS = {
  executor: { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  cpus: { type: 'string' },
  mem: { type: 'string' },
  gpus: { type: 'string' },
  account: { type: 'string' },
  sbatch: { type: 'string', multiple: true },
} as const;

export const EXECUTOR_USAGE =
  '[--executor local|slurm [--partition P] [--time 04:00:00] [--cpus N] [--mem 8G] [--gpus N] [--account A] [--sbatch "--qos=high" …]]';

type Values = { [K in keyof typeof EXECUTOR_OPTIONS]?: K extends 'sbatch' ? string[] : string };

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
