/**
 * The episode viewer's service side: one short job in a trainer process (TensorFlow.js never
 * loads in the service), started with the queue's launcher but outside its queue (it stores
 * nothing and takes seconds), awaited for its one answer.
 */
import type { EpisodeView } from '../contract/episodeView';
import type { TrainerLauncher } from '../jobs/launcher';
import { ServiceError } from './errors';

export interface EpisodeJobRequest {
  runId: number;
  index: number;
  step?: number;
  dataDir: string;
}

/** Long enough to start a trainer, load a large dataset and a checkpoint, and adapt on one episode. */
const DEFAULT_TIMEOUT_MS = 180_000;

/**
 * `signal`: aborted when the answer is no longer wanted (the viewer stepped on): the trainer is
 * stopped rather than left to finish for nobody.
 */
export function episodeFromTrainer(
  launch: TrainerLauncher,
  request: EpisodeJobRequest,
  o: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<EpisodeView> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { runId, index, step, dataDir } = request;
  const proc = launch({ kind: 'episode', id: runId, dataDir, episode: { index, step } });
  // The last lines the trainer wrote: why it failed, when it exits without an answer.
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = `${stderr}${d.toString()}`.slice(-4000)));
  proc.stdout?.resume();
  return new Promise<EpisodeView>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      settle(() =>
        reject(
          new ServiceError(
            `episode ${index} of run ${runId} took over ${timeoutMs / 1000} s; try again`,
            'conflict',
          ),
        ),
      );
    }, timeoutMs);
    o.signal?.addEventListener('abort', () => {
      proc.kill('SIGKILL');
      settle(() =>
        reject(new ServiceError(`episode ${index} of run ${runId} was superseded by another`, 'cancelled')),
      );
    });
    proc.onMessage((m) => {
      if (m.type !== 'episode') return;
      settle(() =>
        m.episode
          ? resolve(m.episode)
          : reject(
              new ServiceError(`episode ${index} of run ${runId}: ${m.error ?? 'no answer'}`, 'invalid'),
            ),
      );
    });
    proc.onExit((code, signal) => {
      const last = stderr.trim().split('\n').at(-1) ?? '';
      settle(() =>
        reject(
          new Error(
            `the trainer looking into episode ${index} of run ${runId} ended (${signal ?? `exit ${code}`}) without an answer${last ? `: ${last}` : ''}`,
          ),
        ),
      );
    });
  });
}
