/**
 * Desktop notifications when a run, or a whole experiment, ends: the OS's own (Electron shows
 * the renderer's Notification API natively; a browser asks the user's permission first). Pure
 * decisions here (what to say, and when), tested without a browser; `watchRunEnds` wires them to
 * the service's run events.
 */
import type { RunStatus, RunSummary } from '../../src-main/contract/records';
import { LEARNER_INFO } from '../../src-main/contract/learners';

const ENDED: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];
const LIVE: readonly RunStatus[] = ['queued', 'running'];

export interface NotificationText {
  title: string;
  body: string;
  /** One notification per subject: a later one replaces it instead of stacking. */
  tag: string;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** A run's end, when `previous` was live and `run` is not (a status seen again says nothing). */
export function runEndNotice(previous: RunStatus | undefined, run: RunSummary): NotificationText | null {
  if (!ENDED.includes(run.status) || (previous !== undefined && !LIVE.includes(previous))) return null;
  if (previous === undefined && run.status !== 'failed' && run.status !== 'completed') return null;
  const who = `Run #${run.id}: ${LEARNER_INFO[run.learner]?.short ?? run.learner}, seed ${run.seed}`;
  const body =
    run.status === 'completed'
      ? run.testMean != null
        ? `meta-test ${pct(run.testMean)}${run.testCi95 != null ? ` ± ${pct(run.testCi95)}` : ''}`
        : 'completed'
      : run.status === 'failed'
        ? `failed: ${run.error ?? 'no reason recorded'}`
        : run.status;
  return {
    title: `${who} ${run.status === 'completed' ? 'finished' : run.status}`,
    body,
    tag: `run-${run.id}`,
  };
}

/** An experiment's end, once none of its runs is queued or running. */
export function experimentEndNotice(
  name: string,
  id: number,
  runs: readonly RunSummary[],
): NotificationText | null {
  if (runs.length === 0 || runs.some((r) => LIVE.includes(r.status))) return null;
  const count = (s: RunStatus) => runs.filter((r) => r.status === s).length;
  const parts = (['completed', 'failed', 'cancelled', 'interrupted'] as const)
    .map((s) => [s, count(s)] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return { title: `Experiment “${name}” finished`, body: parts.join(', '), tag: `experiment-${id}` };
}

export interface NotifyDeps {
  onRunStatus(listener: (run: RunSummary) => void): void;
  listRuns(experimentId: number): Promise<RunSummary[]>;
  enabled(): boolean;
  show(text: NotificationText): void;
}

/** Notify on each run's end, and on its experiment's when that was its last live run. */
export function watchRunEnds(deps: NotifyDeps): void {
  const seen = new Map<number, RunStatus>();
  deps.onRunStatus((run) => {
    const previous = seen.get(run.id);
    seen.set(run.id, run.status);
    if (!deps.enabled()) return;
    const notice = runEndNotice(previous, run);
    if (!notice) return;
    deps.show(notice);
    void deps
      .listRuns(run.experimentId)
      .then((runs) => {
        const done = experimentEndNotice(run.experimentName, run.experimentId, runs);
        if (done) deps.show(done);
      })
      .catch(() => {
        // The run's own notice was shown; the experiment's can wait for its next run's end.
      });
  });
}
