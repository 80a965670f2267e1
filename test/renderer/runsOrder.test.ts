import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/contract/records';
import { nextSort, sortRuns } from '../../src-renderer/src/tables/runsOrder';

const run = (id: number, over: Partial<RunSummary>): RunSummary =>
  ({
    id,
    experimentName: 'x',
    learner: 'maml',
    cell: 'MAML',
    seed: 0,
    status: 'completed',
    testMean: null,
    ...over,
  }) as RunSummary;

describe('the runs table’s order', () => {
  const runs = [
    run(1, { testMean: 0.5, seed: 2, cell: 'MAML · Shots 5' }),
    run(2, { testMean: null, seed: 0, cell: 'Meta-SGD · Shots 1' }),
    run(3, { testMean: 0.7, seed: 1, cell: 'MAML · Shots 1' }),
  ];
  const ids = (rs: RunSummary[]) => rs.map((r) => r.id);

  it('sorts by a column, numbers as numbers, with runs lacking a value last either way', () => {
    expect(ids(sortRuns(runs, { key: 'accuracy', descending: false }))).toEqual([1, 3, 2]);
    expect(ids(sortRuns(runs, { key: 'accuracy', descending: true }))).toEqual([3, 1, 2]);
    expect(ids(sortRuns(runs, { key: 'seed', descending: false }))).toEqual([2, 3, 1]);
    expect(ids(sortRuns(runs, { key: 'name', descending: false }, true))).toEqual([3, 1, 2]);
    expect(ids(sortRuns(runs, null))).toEqual([1, 2, 3]);
  });

  it('a click sorts ascending, a second click descending', () => {
    const first = nextSort(null, 'seed');
    expect(first).toEqual({ key: 'seed', descending: false });
    expect(nextSort(first, 'seed')).toEqual({ key: 'seed', descending: true });
    expect(nextSort(nextSort(first, 'seed'), 'run')).toEqual({ key: 'run', descending: false });
  });
});

describe('an added column’s order', () => {
  it('sorts by the fetched values: numbers as numbers, runs without a value last', () => {
    const runs = [run(1, {}), run(2, {}), run(3, {}), run(4, {})];
    const values: Record<number, number | null> = { 1: 10, 2: 2, 3: null, 4: 0.5 };
    const added = (id: number) => values[id];
    const ids = (sort: Parameters<typeof sortRuns>[1]) => sortRuns(runs, sort, false, added).map((r) => r.id);
    expect(ids({ key: 'setting:shots', descending: false })).toEqual([4, 2, 1, 3]);
    expect(ids({ key: 'setting:shots', descending: true })).toEqual([1, 2, 4, 3]);
  });
});
