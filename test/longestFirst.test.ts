/** The order the test files start in (test/longestFirst.ts): every file once, heavy ones apart. */
import { describe, expect, it } from 'vitest';
import durations from './durations.json';
import { plannedOrder } from './longestFirst';

const E2E = 'test/e2e/workbench.test.ts';
const WEBGPU = 'test/webgpu/webgpu.test.ts';

describe('the planned order of test files', () => {
  it('starts the longest first, never the two heavy files at once, every file once', () => {
    const seconds: Record<string, number> = { ...durations, 'test/new.test.ts': Infinity };
    const order = plannedOrder(Object.keys(seconds), (f) => seconds[f] ?? Infinity);
    expect([...order].sort()).toEqual(Object.keys(seconds).sort());
    // A file without a measured time starts first; then the longest measured one.
    const longest = Object.entries(durations).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    expect(order[0]).toBe('test/new.test.ts');
    expect(order[1]).toBe(longest);
    // Played on two workers from the same seconds: the heavy files' spans do not overlap.
    const free = [0, 0];
    const span: Record<string, [number, number]> = {};
    for (const f of order) {
      const w = free[0]! <= free[1]! ? 0 : 1;
      const s = Number.isFinite(seconds[f]!) ? seconds[f]! : 0;
      span[f] = [free[w]!, free[w]! + s];
      free[w] = free[w]! + s;
    }
    const [a, b] = [span[E2E]!, span[WEBGPU]!];
    expect(a[1] <= b[0] || b[1] <= a[0]).toBe(true);
  });
});
