/** Kernel time from a tf.profile, summed by kernel name (or any other key), slowest first. */
import type { tf } from '../../src-main/engine';

type Kernel = Awaited<ReturnType<typeof tf.profile>>['kernels'][number];

export async function kernelTimes(
  kernels: readonly Kernel[],
  keyOf: (k: Kernel) => string = (k) => k.name,
): Promise<{ rows: Array<[string, { ms: number; calls: number }]>; total: number }> {
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of kernels) {
    const key = keyOf(k);
    const e = by.get(key) ?? { ms: 0, calls: 0 };
    e.ms += Number(await k.kernelTimeMs) || 0;
    e.calls++;
    by.set(key, e);
  }
  const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms);
  return { rows, total: rows.reduce((s, [, e]) => s + e.ms, 0) };
}
