/**
 * What a run's Slurm job needs on the compute node, written by the workbench next to the job's
 * script: the run's spec (its config and where a resume starts), the data directory as the nodes
 * see it, and the files it records to. The node reads this, never the database.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDirectory } from '../../layout/dataDirectory';
import type { RunSpec } from '../runRecorder';

export interface ClusterJob {
  version: 1;
  dataDir: string;
  spec: RunSpec;
  eventsFile: string;
  cancelFile: string;
}

/** The folder of one attempt's job: script, job file, events and the cancel flag. */
export function attemptDirectory(dataDir: string, runId: number, attempt: number): string {
  return join(runDirectory(dataDir, runId), 'slurm', `attempt-${attempt}`);
}

export function clusterJobFiles(dataDir: string, runId: number, attempt: number) {
  const dir = attemptDirectory(dataDir, runId, attempt);
  return {
    dir,
    jobFile: join(dir, 'job.json'),
    script: join(dir, 'job.sh'),
    eventsFile: join(dir, 'events.jsonl'),
    cancelFile: join(dir, 'cancel'),
  };
}

export function writeClusterJob(file: string, job: ClusterJob): void {
  writeFileSync(file, `${JSON.stringify(job, null, 2)}\n`);
}

export function readClusterJob(file: string): ClusterJob {
  let job: ClusterJob;
  try {
    job = JSON.parse(readFileSync(file, 'utf8')) as ClusterJob;
  } catch (e) {
    throw new Error(`cannot read the cluster job file ${file}: ${(e as Error).message}`);
  }
  if (job.version !== 1 || typeof job.dataDir !== 'string' || !job.spec || typeof job.eventsFile !== 'string')
    throw new Error(
      `${file} is not a cluster job file this trainer understands (version ${String(job.version)})`,
    );
  return job;
}
