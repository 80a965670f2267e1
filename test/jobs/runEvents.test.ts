/**
 * A cluster run's events file and its ingestion: the same rows as a run that writes the store
 * itself; each line applied exactly once, across torn lines and workbench restarts; the trainer's
 * final word is kept for when Slurm says the job ended. And the mapping of Slurm's end states.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperimentConfig } from '../../src-main/contract/config';
import { executorChoiceSchema, sbatchOptions } from '../../src-main/contract/executor';
import { RunEventsError, fileRecorder, ingestRunEvents } from '../../src-main/jobs/runEvents';
import { parseScontrol, parseSqueue, slurmCommands } from '../../src-main/jobs/slurm/commands';
import { finalStatus } from '../../src-main/jobs/slurm/executor';
import { probeScript, runJobScript } from '../../src-main/jobs/slurm/script';
import { openStore } from '../../src-main/store/store';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-events');
const config = parseExperimentConfig({ data: 'synthetic', iterations: 50 });

function seeded() {
  const dataDir = tempDir();
  const store = openStore(dataDir);
  const experiment = store.experiments.create({ name: 'cluster', tags: [], config });
  const run = store.runs.create({
    experimentId: experiment.id,
    config,
    appVersion: 'test',
    executor: { kind: 'slurm', slurm: {} },
  });
  store.runs.markStarted(run.id, null);
  const eventsFile = join(dataDir, 'events.jsonl');
  const jobRow = store.slurmJobs.insert({ runId: run.id, attempt: 0, jobId: '7', eventsFile });
  return { store, run, dataDir, eventsFile, jobRow };
}

const points = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    key: 'train/loss',
    step: from + i,
    value: 1 / (from + i),
    time: 1,
  }));

describe('a cluster run recorded to a file and ingested by the workbench', () => {
  it('applies every line once, in order; a torn line waits for its end; a restart resumes at the stored offset', () => {
    const { store, run, dataDir, eventsFile, jobRow } = seeded();
    const recorder = fileRecorder(eventsFile, join(dataDir, 'cancel'));
    recorder.setBackend('wasm (test)');
    const provenance = {
      commit: null,
      node: 'v20',
      tfjs: '4.22.0',
      backend: 'wasm',
      os: 'Linux',
      cpu: '1 × test',
      memoryBytes: 2 ** 30,
      gpu: null,
      host: 'node7',
    };
    recorder.setProvenance(provenance);
    recorder.start(0, true);
    recorder.metrics(points(1, 10), 10, 1);
    recorder.checkpoint(10, '/x/ckpt-00000010.json', ['/x/ckpt-00000010.json']);
    const ingest = () =>
      ingestRunEvents(
        store,
        { runId: run.id, attempt: 0, eventsFile, offset: store.slurmJobs.latest(run.id)!.ingestedBytes },
        (bytes, r) => {
          store.slurmJobs.setIngested(jobRow, bytes, null);
          if (r.finish) store.slurmJobs.setTrainerFinish(jobRow, r.finish.status, r.finish.error);
        },
      );
    expect(ingest().metrics).toHaveLength(10);
    expect(store.metrics.count(run.id)).toBe(10);
    expect(store.runs.get(run.id)!.backend).toBe('wasm (test)');
    // The node's own provenance, not the workbench's machine.
    expect(store.runs.get(run.id)!.provenance).toEqual(provenance);
    expect(store.checkpoints.list(run.id).map((c) => c.step)).toEqual([10]);
    expect(ingest().metrics).toHaveLength(0); // nothing new: nothing applied twice

    // A line torn by a kill (no newline yet) is not read; once complete, it is.
    const line = `${JSON.stringify({ e: 'metrics', points: points(11, 12), iteration: 12, now: 2 })}\n`;
    appendFileSync(eventsFile, line.slice(0, 25));
    expect(ingest().metrics).toHaveLength(0);
    appendFileSync(eventsFile, line.slice(25));
    expect(ingest().metrics.map((p) => p.step)).toEqual([11, 12]);

    // A workbench restart: a new store connection starts from the stored offset.
    store.close();
    const again = openStore(dataDir);
    recorder.metrics(points(13, 20), 20, 3);
    recorder.finish('completed', null);
    recorder.close();
    const r = ingestRunEvents(
      again,
      { runId: run.id, attempt: 0, eventsFile, offset: again.slurmJobs.latest(run.id)!.ingestedBytes },
      (bytes, res) => {
        again.slurmJobs.setIngested(jobRow, bytes, null);
        if (res.finish) again.slurmJobs.setTrainerFinish(jobRow, res.finish.status, res.finish.error);
      },
    );
    expect(r.finish).toEqual({ status: 'completed', error: null });
    const [series] = again.metrics.series(run.id, { keys: ['train/loss'] });
    expect(series!.steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(again.runs.get(run.id)!.iteration).toBe(20);
    // The final word waits for Slurm: the run is still running, the job row keeps it.
    expect(again.runs.get(run.id)!.status).toBe('running');
    expect(again.slurmJobs.latest(run.id)!.trainerStatus).toBe('completed');
    expect(again.slurmJobs.latest(run.id)!.ingestedBytes).toBe(readFileSync(eventsFile).length);
    again.close();
  });

  it('a resume on the node drops what was written after its checkpoint, as locally', () => {
    const { store, run, dataDir, eventsFile, jobRow } = seeded();
    const recorder = fileRecorder(eventsFile, join(dataDir, 'cancel'));
    recorder.start(0, true);
    recorder.metrics(points(1, 15), 15, 1);
    recorder.start(10, false); // resumed from the checkpoint at 10
    recorder.metrics(points(11, 12), 12, 2);
    recorder.close();
    const r = ingestRunEvents(store, { runId: run.id, attempt: 0, eventsFile, offset: 0 }, (bytes) =>
      store.slurmJobs.setIngested(jobRow, bytes, null),
    );
    const [series] = store.metrics.series(run.id, { keys: ['train/loss'] });
    expect(series!.steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(r.metrics.map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    store.close();
  });

  it('a damaged line stops ingestion there: what came before is applied, the error names the byte', () => {
    const { store, run, eventsFile, jobRow } = seeded();
    const good = `${JSON.stringify({ e: 'metrics', points: points(1, 3), iteration: 3, now: 1 })}\n`;
    writeFileSync(eventsFile, `${good}{"e":"metrics","points":[{"ke\u0000garbage\n${good}`);
    const ingest = () =>
      ingestRunEvents(
        store,
        { runId: run.id, attempt: 0, eventsFile, offset: store.slurmJobs.latest(run.id)!.ingestedBytes },
        (bytes) => store.slurmJobs.setIngested(jobRow, bytes, null),
      );
    expect(ingest).toThrow(new RegExp(`events file .* is damaged at byte ${Buffer.byteLength(good)} \\(`));
    expect(store.metrics.count(run.id)).toBe(3);
    expect(store.slurmJobs.latest(run.id)!.ingestedBytes).toBe(Buffer.byteLength(good));
    expect(ingest).toThrow(RunEventsError); // it stays there: nothing after the damage is applied
    expect(store.metrics.count(run.id)).toBe(3);
    store.close();
  });

  it('the cancel file is the trainer heartbeat’s cancel flag', () => {
    const dir = tempDir();
    const recorder = fileRecorder(join(dir, 'events.jsonl'), join(dir, 'cancel'));
    expect(recorder.heartbeat().cancelRequested).toBe(false);
    writeFileSync(join(dir, 'cancel'), 'now');
    expect(recorder.heartbeat().cancelRequested).toBe(true);
    recorder.close();
  });
});

describe('Slurm, as the workbench reads it', () => {
  it('parses squeue and scontrol, and maps each end state to a run status with the reason', () => {
    expect(parseSqueue('12|PENDING|Resources|\n13|RUNNING|None|node7\n')).toEqual([
      { jobId: '12', state: 'PENDING', reason: 'Resources', node: null },
      { jobId: '13', state: 'RUNNING', reason: null, node: 'node7' },
    ]);
    expect(
      parseScontrol('JobId=9 JobName=deml-run-3 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15 NodeList=vm'),
    ).toEqual({ jobId: '9', state: 'TIMEOUT', reason: 'TimeLimit', node: 'vm', exitCode: '0:15' });

    const job: Parameters<typeof finalStatus>[0] = {
      jobId: '9',
      trainerStatus: null,
      trainerError: null,
      node: 'vm',
    };
    const ctx = { cancelAsked: false, checkpoint: 40, iteration: 43, time: '1', logTail: ['oom-kill'] };
    const end = (state: string, j = job, c = ctx) =>
      finalStatus(j, { jobId: '9', state, reason: null, node: 'vm' }, c);
    expect(end('TIMEOUT')).toEqual({
      status: 'interrupted',
      error:
        'Slurm job 9 reached its time limit (1) at iteration 43; resume continues from its checkpoint at iteration 40',
    });
    expect(end('CANCELLED').status).toBe('failed');
    expect(end('CANCELLED').error).toMatch(
      /cancelled outside the workbench .* at iteration 43; resume continues/,
    );
    expect(end('CANCELLED', job, { ...ctx, cancelAsked: true })).toEqual({
      status: 'cancelled',
      error: null,
    });
    expect(end('NODE_FAIL')).toMatchObject({
      status: 'interrupted',
      error: expect.stringMatching(/the node vm .* failed/),
    });
    expect(end('OUT_OF_MEMORY')).toMatchObject({ status: 'failed', error: expect.stringMatching(/--mem/) });
    expect(end('FAILED').error).toMatch(
      /Slurm job 9 failed on vm at iteration 43; its last output: oom-kill/,
    );
    const said = { ...job, trainerStatus: 'failed', trainerError: 'training diverged at iteration 3' };
    expect(end('FAILED', said)).toEqual({ status: 'failed', error: 'training diverged at iteration 3' });
    expect(end('COMPLETED', { ...job, trainerStatus: 'completed' })).toEqual({
      status: 'completed',
      error: null,
    });
    expect(end('COMPLETED').status).toBe('failed'); // a job that exits 0 with no final word is no success
    expect(end('UNKNOWN').error).toMatch(/Slurm no longer knows job 9/);
  });

  it('options become #SBATCH lines; hostile values are refused; the script execs the trainer', () => {
    const choice = executorChoiceSchema.parse({
      kind: 'slurm',
      slurm: {
        partition: 'gpu',
        time: '04:00:00',
        cpus: 4,
        mem: '16G',
        gpus: 1,
        account: 'lab',
        extra: ['--qos=high'],
      },
    });
    expect(choice.kind === 'slurm' && sbatchOptions(choice.slurm)).toEqual([
      '--partition=gpu',
      '--time=04:00:00',
      '--cpus-per-task=4',
      '--mem=16G',
      '--gres=gpu:1',
      '--account=lab',
      '--qos=high',
    ]);
    for (const slurm of [
      { partition: 'gpu; rm -rf ~' },
      { time: 'tomorrow' },
      { mem: '16 GB' },
      { extra: ['--qos=high\nrm -rf ~'] },
      { extra: ['rm -rf ~'] },
      { gpu: 1 },
    ])
      expect(executorChoiceSchema.safeParse({ kind: 'slurm', slurm }).success, JSON.stringify(slurm)).toBe(
        false,
      );
    const script = runJobScript({
      runId: 3,
      attempt: 1,
      options: { gpus: 2 },
      logFile: '/data/runs/3/trainer.log',
      jobFile: "/data/it's/job.json",
      workDir: '/data/runs/3/slurm/attempt-1',
      command: { node: '/usr/bin/node', execArgv: [], entry: '/app/trainerEntry.js' },
      electron: false,
    });
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('#SBATCH --gres=gpu:2\n');
    expect(script).toContain('export DEML_THREADS="${SLURM_CPUS_PER_TASK:-1}"');
    expect(script).toContain(`exec '/usr/bin/node' '/app/trainerEntry.js' '--job' '/data/it'\\''s/job.json'`);
    // The probe goes where the runs go, but is never held and asks for no GPU or memory.
    const probe = probeScript({
      options: { partition: 'gpu', gpus: 2, mem: '64G', extra: ['--hold', '--qos=high', '#SBATCH -H'] },
      token: '/d/token',
      seen: '/d/seen',
      output: '/d/probe.log',
    });
    expect(probe).toContain('#SBATCH --partition=gpu\n');
    expect(probe).toContain('#SBATCH --qos=high\n');
    expect(probe).not.toMatch(/--hold|-H|gres|--mem/);
  });

  it('a machine without sbatch is told so, in words', async () => {
    await expect(slurmCommands('/nonexistent/bin').submit('/tmp/x.sh')).rejects.toThrow(
      /sbatch is not on this machine's PATH: the slurm executor runs where jobs can be submitted/,
    );
  });
});
