/**
 * The data directory: everything the workbench keeps, in one folder, laid out here and nowhere
 * else.
 *
 *   <data dir>/
 *     deml.sqlite, -wal, -shm   the experiment store (store/)
 *     deml.lock                 which workbench owns the directory (store/instanceLock.ts)
 *     datasets/<id>/            packed datasets: pixels.u8, index.json, manifest.json (data/)
 *     runs/<id>/trainer.log     each trainer's output (jobs/)
 *     runs/<id>/evaluation-<n>.log   the output of each evaluation asked for afterwards
 *     runs/<id>/checkpoints/    its checkpoints (engine/checkpoint.ts)
 *
 * Plain path arithmetic: any process may import it (the service, the trainer, the CLI, the
 * Electron main process) without loading the store, the importers or the engine.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The environment variable that names the data directory when no --data-dir is given. */
export const DATA_DIR_ENV = 'DEML_DATA_DIR';

/** Said in usage texts and errors, so they all name the same rule. */
export const DATA_DIR_RULE = `--data-dir DIR, else $${DATA_DIR_ENV}, else ~/.deml`;

/**
 * The data directory: the --data-dir flag when given, else $DEML_DATA_DIR, else ~/.deml. Empty or
 * blank values count as not given.
 */
export function resolveDataDir(flag?: string | boolean | null, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof flag === 'string' && flag.trim()) return flag;
  return env[DATA_DIR_ENV]?.trim() || join(homedir(), '.deml');
}

export function databasePath(dataDir: string): string {
  return join(dataDir, 'deml.sqlite');
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'deml.lock');
}

export function datasetsDir(dataDir: string): string {
  return join(dataDir, 'datasets');
}

export function datasetDirectory(dataDir: string, id: string): string {
  return join(datasetsDir(dataDir), id);
}

export function runDirectory(dataDir: string, runId: number): string {
  return join(dataDir, 'runs', String(runId));
}

export function checkpointDirectory(dataDir: string, runId: number): string {
  return join(runDirectory(dataDir, runId), 'checkpoints');
}

export function trainerLogPath(dataDir: string, runId: number): string {
  return join(runDirectory(dataDir, runId), 'trainer.log');
}

export function evaluationLogPath(dataDir: string, runId: number, requestId: number): string {
  return join(runDirectory(dataDir, runId), `evaluation-${requestId}.log`);
}

export function projectionLogPath(dataDir: string, runId: number, projectionId: number): string {
  return join(runDirectory(dataDir, runId), `projection-${projectionId}.log`);
}
