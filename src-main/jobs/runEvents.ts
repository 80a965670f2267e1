/**
 * A run's events as a file: how a trainer on a cluster's compute node records its run without
 * opening the database, and how the workbench (the database's only writer) ingests them.
 *
 * The trainer appends one JSON line per RunRecorder call; a line is complete once its newline is
 * written, so a line torn by a kill is never read. The workbench applies the complete lines after
 * the offset it has stored, and stores the new offset in the same transaction: each line is
 * applied exactly once, in order, across the workbench's own restarts.
 */
import { closeSync, existsSync, fsyncSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import type { Provenance } from '../contract/provenance';
import type { MetricRecord, RunProgress } from '../contract/records';
import type { NewEvaluation } from '../store/evaluations';
import type { Store } from '../store/store';
import type { FinalStatus, RunRecorder } from './runRecorder';
import { storeRecorder } from './runRecorder';

export type RunEvent =
  | { e: 'backend'; text: string }
  | { e: 'provenance'; provenance: Provenance }
  | { e: 'classSplit'; text: string }
  | { e: 'start'; iteration: number; fromScratch: boolean }
  | { e: 'metrics'; points: MetricRecord[]; iteration: number; now: number }
  | { e: 'evaluation'; evaluation: NewEvaluation }
  | { e: 'checkpoint'; step: number; file: string; kept: string[] }
  /** Live only (phase, ETA): shown while it is fresh, never stored. */
  | { e: 'progress'; progress: RunProgress }
  | { e: 'finish'; status: FinalStatus; error: string | null };

/**
 * The trainer's side: appends each record to `eventsFile`. A cancel asked for by the workbench is
 * a file (`cancelFile`) next to it, seen with the heartbeat; scancel's SIGTERM also stops the run.
 */
export function fileRecorder(
  eventsFile: string,
  cancelFile: string,
): RunRecorder & {
  progress(p: RunProgress): void;
  close(): void;
} {
  const fd = openSync(eventsFile, 'a');
  const append = (event: RunEvent, durable = false) => {
    writeSync(fd, `${JSON.stringify(event)}\n`);
    // Checkpoints and the final word must survive the node going down right after.
    if (durable) fsyncSync(fd);
  };
  let lastProgress = 0;
  return {
    setBackend: (text) => append({ e: 'backend', text }),
    setProvenance: (provenance) => append({ e: 'provenance', provenance }),
    setClassSplit: (text) => append({ e: 'classSplit', text }),
    heartbeat: () => ({ cancelRequested: existsSync(cancelFile) }),
    start: (iteration, fromScratch) => append({ e: 'start', iteration, fromScratch }, true),
    metrics: (points, iteration, now) => append({ e: 'metrics', points: [...points], iteration, now }),
    evaluation: (evaluation) => append({ e: 'evaluation', evaluation }, true),
    checkpoint: (step, file, kept) => append({ e: 'checkpoint', step, file, kept: [...kept] }, true),
    finish: (status, error) => append({ e: 'finish', status, error }, true),
    progress: (progress) => {
      // At most one a second: the file is read over a network filesystem.
      const now = Date.now();
      if (now - lastProgress < 1000 && progress.phase === 'training') return;
      lastProgress = now;
      append({ e: 'progress', progress });
    },
    close: () => closeSync(fd),
  };
}

/** A complete line that is not a record (the file was damaged): ingestion cannot go past it. */
export class RunEventsError extends Error {
  constructor(file: string, offset: number, why: string) {
    super(`the run's events file ${file} is damaged at byte ${offset} (${why}); what came before is kept`);
    this.name = 'RunEventsError';
  }
}

function parseEvent(line: string, file: string, offset: number): RunEvent {
  let event: RunEvent;
  try {
    event = JSON.parse(line) as RunEvent;
  } catch (e) {
    throw new RunEventsError(file, offset, (e as Error).message);
  }
  if (typeof event !== 'object' || event === null || typeof event.e !== 'string')
    throw new RunEventsError(file, offset, 'not a record');
  return event;
}

export interface IngestResult {
  /** Bytes consumed so far (the new offset). */
  offset: number;
  metrics: MetricRecord[];
  /** Whether stored records changed (evaluations, checkpoints, backend, start). */
  changed: boolean;
  progress: RunProgress | null;
  finish: { status: FinalStatus; error: string | null } | null;
}

const CHUNK = 1 << 20;

/**
 * The workbench's side: apply the complete lines of a job's events file after `offset` to the
 * store, in one transaction with the new offset (`commit`). A trainer's final word is not applied
 * here: it is returned (and kept by `commit`), and applied once Slurm says the job has ended.
 */
export function ingestRunEvents(
  store: Store,
  job: { runId: number; attempt: number; eventsFile: string; offset: number },
  commit: (offset: number, result: IngestResult) => void,
): IngestResult {
  const result: IngestResult = {
    offset: job.offset,
    metrics: [],
    changed: false,
    progress: null,
    finish: null,
  };
  let size: number;
  try {
    size = statSync(job.eventsFile).size;
  } catch {
    return result; // not written yet (a pending job)
  }
  if (size <= job.offset) return result;
  const fd = openSync(job.eventsFile, 'r');
  const events: RunEvent[] = [];
  let offset = job.offset;
  let damage: RunEventsError | null = null;
  try {
    // Bytes, not text: a chunk may end inside a multi-byte character; a newline byte never is.
    let carry = Buffer.alloc(0);
    let position = job.offset;
    const buffer = Buffer.alloc(CHUNK);
    while (position < size && !damage) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, size - position), position);
      if (n <= 0) break;
      position += n;
      const bytes = Buffer.concat([carry, buffer.subarray(0, n)]);
      const end = bytes.lastIndexOf(0x0a);
      if (end < 0) {
        carry = bytes;
        continue;
      }
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        try {
          if (line) events.push(parseEvent(line, job.eventsFile, offset));
        } catch (e) {
          // The records before the damage are applied (below); the offset stays at its start.
          damage = e as RunEventsError;
          break;
        }
        offset += Buffer.byteLength(line, 'utf8') + 1;
      }
      carry = Buffer.from(bytes.subarray(end + 1));
    }
  } finally {
    closeSync(fd);
  }
  if (events.length > 0) {
    const recorder = storeRecorder(store, job.runId, job.attempt);
    store.transaction(() => {
      for (const event of events) applyEvent(recorder, event, result);
      result.offset = offset;
      commit(offset, result);
    });
  }
  if (damage) throw damage;
  return result;
}

function applyEvent(recorder: RunRecorder, event: RunEvent, result: IngestResult): void {
  switch (event.e) {
    case 'backend':
      recorder.setBackend(event.text);
      result.changed = true;
      break;
    case 'classSplit':
      recorder.setClassSplit(event.text);
      result.changed = true;
      break;
    case 'provenance':
      recorder.setProvenance(event.provenance);
      result.changed = true;
      break;
    case 'start':
      recorder.start(event.iteration, event.fromScratch);
      // Points re-trained after a resume replace those dropped; the live view starts again too.
      result.metrics = result.metrics.filter((p) => p.step <= event.iteration);
      result.changed = true;
      break;
    case 'metrics':
      recorder.metrics(event.points, event.iteration, event.now);
      result.metrics.push(...event.points);
      break;
    case 'evaluation':
      recorder.evaluation(event.evaluation);
      result.changed = true;
      break;
    case 'checkpoint':
      recorder.checkpoint(event.step, event.file, event.kept);
      result.changed = true;
      break;
    case 'progress':
      result.progress = event.progress;
      break;
    case 'finish':
      result.finish = { status: event.status, error: event.error };
      break;
  }
}
