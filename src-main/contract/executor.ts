/**
 * Where a run trains: the local queue (a trainer process per run on this machine), or a Slurm
 * cluster (one batch job per run). Chosen per workbench (`deml serve --executor slurm …`) with
 * per-experiment overrides; stored with each run, so a resume goes where the run went.
 * No runtime-specific imports here (docs/DESIGN.md): the form validates with the same schema.
 */
import { z } from 'zod';

/** A Slurm name (partition, account): what sbatch accepts, and nothing a shell would read. */
const slurmName = z.string().regex(/^[A-Za-z0-9_.+-]{1,64}$/, 'letters, digits and . _ + - only');

export const slurmOptionsSchema = z
  .object({
    /** --partition; the cluster's default partition when absent. */
    partition: slurmName.optional(),
    /** --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
    time: z
      .string()
      .regex(/^(\d+-)?\d+(:\d{1,2}){0,2}$/, 'a Slurm time such as 30, 04:00:00 or 2-00:00:00')
      .optional(),
    /** --cpus-per-task: also the trainer's thread count on the node. */
    cpus: z.number().int().min(1).max(1024).optional(),
    /** --mem, e.g. 4G or 16000M. */
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/i, 'a size such as 4G or 16000M')
      .optional(),
    /** --gres=gpu:N (0 or absent: no GPU asked for). */
    gpus: z.number().int().min(0).max(64).optional(),
    /** --account. */
    account: slurmName.optional(),
    /** Further #SBATCH options, one per entry, e.g. "--qos=high" or "--constraint=a100". */
    extra: z
      .array(
        z
          .string()
          .regex(/^(#SBATCH\s+)?--?[A-Za-z][^\n\r]*$/, 'an sbatch option such as --qos=high, one per line'),
      )
      .max(32)
      .optional(),
  })
  .strict();

export type SlurmOptions = z.infer<typeof slurmOptionsSchema>;

export const executorChoiceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }).strict(),
  z.object({ kind: z.literal('slurm'), slurm: slurmOptionsSchema.default({}) }).strict(),
]);

export type ExecutorChoice = z.infer<typeof executorChoiceSchema>;

/** The #SBATCH lines of a run's options, in the order sbatch reads them. */
export function sbatchOptions(o: SlurmOptions): string[] {
  const lines: string[] = [];
  if (o.partition) lines.push(`--partition=${o.partition}`);
  if (o.time) lines.push(`--time=${o.time}`);
  if (o.cpus) lines.push(`--cpus-per-task=${o.cpus}`);
  if (o.mem) lines.push(`--mem=${o.mem}`);
  if (o.gpus) lines.push(`--gres=gpu:${o.gpus}`);
  if (o.account) lines.push(`--account=${o.account}`);
  for (const e of o.extra ?? []) lines.push(e.replace(/^#SBATCH\s+/, '').trim());
  return lines;
}

/** In words, for tables and logs: "slurm (partition gpu, 04:00:00, 1 GPU)". */
export function describeExecutor(e: ExecutorChoice | null): string {
  if (!e || e.kind === 'local') return 'local';
  const o = e.slurm;
  const parts = [
    o.partition && `partition ${o.partition}`,
    o.time && `time ${o.time}`,
    o.cpus && `${o.cpus} CPUs`,
    o.mem && `mem ${o.mem}`,
    o.gpus && `${o.gpus} GPU${o.gpus > 1 ? 's' : ''}`,
    o.account && `account ${o.account}`,
    ...(o.extra ?? []),
  ].filter(Boolean);
  return parts.length ? `slurm (${parts.join(', ')})` : 'slurm';
}

/** "slurm job 42: PENDING (Resources)", "slurm job 42: RUNNING on node7". */
export function describeSlurmJob(j: {
  jobId: string;
  state: string;
  reason: string | null;
  node: string | null;
}): string {
  return `slurm job ${j.jobId}: ${j.state}${j.reason ? ` (${j.reason})` : ''}${j.node ? ` on ${j.node}` : ''}`;
}
