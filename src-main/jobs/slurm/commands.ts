/**
 * Slurm's command-line tools, as the workbench uses them: sbatch to submit, squeue (and scontrol
 * for what squeue no longer shows) for states, scancel to stop, sinfo for partitions. Each failure
 * becomes a SlurmError in words a researcher can act on, with Slurm's own message.
 */
import { execFile } from 'node:child_process';

export class SlurmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmError';
  }
}

export interface SlurmJobStatus {
  jobId: string;
  /** PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED… */
  state: string;
  /** Why it is pending (Resources, Priority…) or ended, as Slurm says; null for "None". */
  reason: string | null;
  node: string | null;
  /** "code:signal", from scontrol, when known. */
  exitCode?: string;
}

/** States after which the job runs no more. */
export const ENDED_STATES = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'SPECIAL_EXIT',
  'REVOKED',
]);

export interface SlurmCommands {
  /** Submit a batch script; the job id. */
  submit(script: string, options?: { cwd?: string }): Promise<string>;
  /** The states of these jobs; a job Slurm has forgotten is absent. */
  status(jobIds: readonly string[]): Promise<Map<string, SlurmJobStatus>>;
  /** scancel (SIGTERM, then SIGKILL after the cluster's KillWait), or one signal. */
  cancel(jobId: string, signal?: string): Promise<void>;
  partitions(): Promise<string[]>;
}

interface Output {
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd?: string): Promise<Output> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        return reject(
          new SlurmError(
            `${command} is not on this machine's PATH: the slurm executor runs where jobs can be submitted ` +
              "(a cluster's login node, or a machine with Slurm's client tools and the cluster's config)",
          ),
        );
      if (error.killed)
        return reject(new SlurmError(`${command} did not answer within 60 s (is slurmctld reachable?)`));
      const said = stderr.trim().replace(/^\w+: error: /gm, '') || error.message;
      reject(new SlurmError(`${command} failed: ${said.split('\n').join('; ')}`));
    });
  });
}

const orNull = (s: string | undefined) => (!s || s === 'None' || s === '(null)' ? null : s);

/** `squeue -o "%i|%T|%r|%N"` lines. */
export function parseSqueue(stdout: string): SlurmJobStatus[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [jobId, state, reason, node] = line.split('|');
      return { jobId: jobId!, state: state!.replace(/\+$/, ''), reason: orNull(reason), node: orNull(node) };
    });
}

/** `scontrol show job -o ID`: one line of Key=Value pairs. */
export function parseScontrol(stdout: string): SlurmJobStatus | null {
  const fields = new Map<string, string>();
  for (const m of stdout.matchAll(/(\w+)=(\S*)/g)) if (!fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
  const jobId = fields.get('JobId');
  const state = fields.get('JobState');
  if (!jobId || !state) return null;
  return {
    jobId,
    state,
    reason: orNull(fields.get('Reason')),
    node: orNull(fields.get('NodeList')),
    exitCode: fields.get('ExitCode'),
  };
}

/** The cluster's tools, found on the PATH (or in `bin`, a folder that holds them). */
export function slurmCommands(bin?: string): SlurmCommands {
  const tool = (name: string) => (bin ? `${bin}/${name}` : name);
  return {
    async submit(script, options = {}) {
      const { stdout } = await run(tool('sbatch'), ['--parsable', script], options.cwd);
      const jobId = stdout.trim().split(';')[0]!;
      if (!/^\d+(_\d+)?$/.test(jobId))
        throw new SlurmError(`sbatch answered '${stdout.trim()}', not a job id`);
      return jobId;
    },
    async status(jobIds) {
      const out = new Map<string, SlurmJobStatus>();
      if (jobIds.length === 0) return out;
      const { stdout } = await run(tool('squeue'), [
        '-h',
        '--states=all',
        '-j',
        jobIds.join(','),
        '-o',
        '%i|%T|%r|%N',
      ]).catch((e: unknown) => {
        // squeue refuses the whole list when every id is unknown: all forgotten.
        if (e instanceof SlurmError && /Invalid job id/i.test(e.message)) return { stdout: '' };
        throw e;
      });
      for (const s of parseSqueue(stdout)) out.set(s.jobId, s);
      return out;
    },
    async cancel(jobId, signal) {
      await run(tool('scancel'), signal ? [`--signal=${signal}`, jobId] : [jobId]);
    },
    async partitions() {
      const { stdout } = await run(tool('sinfo'), ['-h', '-o', '%P']);
      return stdout
        .split('\n')
        .map((p) => p.trim().replace(/\*$/, ''))
        .filter(Boolean);
    },
  };
}

/** Details of one job (its exit code) from scontrol; null once Slurm has forgotten it. */
export async function jobDetails(jobId: string, bin?: string): Promise<SlurmJobStatus | null> {
  try {
    const { stdout } = await run(bin ? `${bin}/scontrol` : 'scontrol', ['show', 'job', '-o', jobId]);
    return parseScontrol(stdout);
  } catch {
    return null;
  }
}
