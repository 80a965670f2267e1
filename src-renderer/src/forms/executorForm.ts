/**
 * Where new runs train, as form fields: the workbench's default, the local queue, or a Slurm
 * cluster with its options. Checked with the schema the service uses. No Vue here.
 */
import { type ExecutorChoice, executorChoiceSchema } from '../../../src-main/contract/executor';

export interface ExecutorFields {
  /** default: what the workbench was started with (`deml serve --executor …`), else local. */
  kind: 'default' | 'local' | 'slurm';
  partition: string;
  time: string;
  cpus: string;
  mem: string;
  gpus: string;
  account: string;
  /** Further #SBATCH options, one per line. */
  extra: string;
}

export function blankExecutor(): ExecutorFields {
  return { kind: 'default', partition: '', time: '', cpus: '', mem: '', gpus: '', account: '', extra: '' };
}

const optionalInt = (s: string) => (s.trim() === '' ? undefined : Number(s));
const optionalText = (s: string) => (s.trim() === '' ? undefined : s.trim());

/** The choice to send (undefined: the workbench's default) and the issues by field. */
export function executorOf(f: ExecutorFields): {
  choice: ExecutorChoice | undefined;
  issues: Record<string, string>;
} {
  if (f.kind === 'default') return { choice: undefined, issues: {} };
  if (f.kind === 'local') return { choice: { kind: 'local' }, issues: {} };
  const parsed = executorChoiceSchema.safeParse({
    kind: 'slurm',
    slurm: {
      partition: optionalText(f.partition),
      time: optionalText(f.time),
      cpus: optionalInt(f.cpus),
      mem: optionalText(f.mem),
      gpus: optionalInt(f.gpus),
      account: optionalText(f.account),
      extra: f.extra
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    },
  });
  if (parsed.success) return { choice: parsed.data, issues: {} };
  const issues: Record<string, string> = {};
  for (const i of parsed.error.issues) {
    // slurm.extra.2 → extra: one textarea holds every extra line.
    const field = String(i.path[1] ?? 'kind');
    issues[field] ??= field === 'extra' ? `line ${Number(i.path[2] ?? 0) + 1}: ${i.message}` : i.message;
  }
  return { choice: undefined, issues };
}

/** Fields from a stored choice (settings), for the form to start from. */
export function fieldsOf(choice: unknown): ExecutorFields {
  const parsed = executorChoiceSchema.safeParse(choice);
  if (!parsed.success) return blankExecutor();
  if (parsed.data.kind === 'local') return { ...blankExecutor(), kind: 'local' };
  const o = parsed.data.slurm;
  return {
    kind: 'slurm',
    partition: o.partition ?? '',
    time: o.time ?? '',
    cpus: o.cpus == null ? '' : String(o.cpus),
    mem: o.mem ?? '',
    gpus: o.gpus == null ? '' : String(o.gpus),
    account: o.account ?? '',
    extra: (o.extra ?? []).join('\n'),
  };
}
