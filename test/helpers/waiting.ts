/** Waiting for what real processes do, and checking the series they leave. */
import { expect } from 'vitest';
import type { WorkbenchService } from '../../src-main/service/service';

/** Poll `probe` until it gives a value, or fail naming `what`. */
export async function until<T>(
  what: string,
  probe: () => T | null | undefined | false,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A run's series must have steps 1..n exactly once: no gaps, no duplicates. Its values. */
export function expectContinuous(s: WorkbenchService, id: number, key: string, n: number): number[] {
  const [series] = s.metrics(id, { keys: [key] });
  expect(series!.steps).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  return series!.values;
}
