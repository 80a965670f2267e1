/** What the workbench notifies, and when: a run's end once, and its experiment's after its last run. */
import { describe, expect, it } from 'vitest';
import type { RunStatus, RunSummary } from '../../src-main/contract/records';
import {
  type NotificationText,
  experimentEndNotice,
  runEndNotice,
  watchRunEnds,
} from '../../src-renderer/src/notifications';

function run(id: number, status: RunStatus, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    experimentId: 1,
    experimentName: 'MAML vs Meta-SGD',
    learner: 'maml',
    seed: id,
    status,
    error: null,
    testMean: null,
    testCi95: null,
    ...over,
  } as RunSummary;
}

describe('notifications', () => {
  it('a run that ends says how: its accuracy, or why it failed', () => {
    expect(runEndNotice('running', run(3, 'completed', { testMean: 0.7812, testCi95: 0.0093 }))).toEqual({
      title: 'Run #3: MAML, seed 3 finished',
      body: 'meta-test 78.12% ± 0.93%',
      tag: 'run-3',
    });
    expect(runEndNotice('running', run(4, 'failed', { error: 'the disk is full' }))!.body).toBe(
      'failed: the disk is full',
    );
    // Not an end: still live, or an end seen again.
    expect(runEndNotice('queued', run(5, 'running'))).toBeNull();
    expect(runEndNotice('completed', run(5, 'completed'))).toBeNull();
  });

  it('an experiment ends when none of its runs is queued or running', () => {
    expect(experimentEndNotice('x', 1, [run(1, 'completed'), run(2, 'running')])).toBeNull();
    expect(experimentEndNotice('x', 1, [run(1, 'completed'), run(2, 'failed'), run(3, 'completed')])).toEqual(
      {
        title: 'Experiment “x” finished',
        body: '2 completed, 1 failed',
        tag: 'experiment-1',
      },
    );
  });

  it('watches the run events: one notice per end, the experiment’s after its last run, nothing when off', async () => {
    let emit: (r: RunSummary) => void = () => undefined;
    const shown: NotificationText[] = [];
    const runs = new Map<number, RunSummary>();
    let enabled = true;
    watchRunEnds({
      onRunStatus: (l) => (emit = l),
      listRuns: async () => [...runs.values()],
      enabled: () => enabled,
      show: (t) => shown.push(t),
    });
    const send = (r: RunSummary) => {
      runs.set(r.id, r);
      emit(r);
    };
    send(run(1, 'running'));
    send(run(2, 'queued'));
    send(run(1, 'completed'));
    await Promise.resolve();
    expect(shown.map((s) => s.tag)).toEqual(['run-1']); // run 2 still queued
    send(run(2, 'running'));
    send(run(2, 'failed', { error: 'boom' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(shown.map((s) => s.tag)).toEqual(['run-1', 'run-2', 'experiment-1']);
    send(run(2, 'failed', { error: 'boom' })); // seen again: nothing
    enabled = false;
    send(run(3, 'running'));
    send(run(3, 'completed'));
    await new Promise((r) => setTimeout(r, 0));
    expect(shown).toHaveLength(3);
  });
});
