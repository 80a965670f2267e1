/** The batch script of a run's Slurm job, and of the probe that checks the nodes see the data. */
import { type SlurmOptions, sbatchOptions } from '../../contract/executor';

/** Single quotes for sh: a path with spaces or quotes stays one word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface TrainerCommandLine {
  node: string;
  execArgv: string[];
  entry: string;
}

export function runJobScript(o: {
  runId: number;
  attempt: number;
  options: SlurmOptions;
  /** Where Slurm appends the job's output: the run's log, as for a local run. */
  logFile: string;
  jobFile: string;
  workDir: string;
  command: TrainerCommandLine;
  /** The Electron binary runs as plain Node on the node. */
  electron: boolean;
}): string {
  const lines = [
    '#!/bin/sh',
    `#SBATCH --job-name=deml-run-${o.runId}`,
    `#SBATCH --output=${o.logFile}`,
    '#SBATCH --open-mode=append',
    // One task, whatever the cluster's defaults: the trainer spreads its tasks over threads.
    '#SBATCH --ntasks=1',
    ...sbatchOptions(o.options).map((line) => `#SBATCH ${line}`),
    `# DEML Workbench: run ${o.runId}, attempt ${o.attempt + 1}. Written by the workbench; the trainer`,
    '# reads job.json and appends its records to events.jsonl (it never opens the database).',
    // As many training threads as CPUs the job was given, not as the node has.
    'export DEML_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    ...(o.electron ? ['export ELECTRON_RUN_AS_NODE=1'] : []),
    `cd ${shellQuote(o.workDir)} || exit 1`,
    `echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) slurm job $SLURM_JOB_ID on $(hostname), attempt ${o.attempt + 1}" >&2`,
    // exec: the trainer is the job's process, so scancel's SIGTERM and a time limit reach it.
    `exec ${[o.command.node, ...o.command.execArgv, o.command.entry, '--job', o.jobFile].map(shellQuote).join(' ')}`,
    '',
  ];
  return lines.join('\n');
}

const HOLD = /^(#SBATCH\s+)?(--hold|-H)(\s|=|$)/;

/**
 * The probe: a short job that reads a token from the data directory and writes it back. If the
 * workbench then finds the copy, the nodes see the directory (and can write to it).
 */
export function probeScript(o: {
  options: SlurmOptions;
  token: string;
  seen: string;
  output: string;
}): string {
  const { partition, account, extra } = o.options;
  return [
    '#!/bin/sh',
    '#SBATCH --job-name=deml-probe',
    `#SBATCH --output=${o.output}`,
    '#SBATCH --ntasks=1',
    '#SBATCH --time=5',
    // Only what decides where it may run: a GPU or memory request would only delay the probe, and
    // a held probe (--hold) would never run.
    ...sbatchOptions({ partition, account, extra: extra?.filter((e) => !HOLD.test(e)) }).map(
      (line) => `#SBATCH ${line}`,
    ),
    `cat ${shellQuote(o.token)} > ${shellQuote(o.seen)}`,
    '',
  ].join('\n');
}
