/**
 * The order test files start in. vitest hands the next file in this order to whichever of its two
 * workers frees first.
 *
 * - Longest first, so that the two workers end together rather than one running the slowest file
 *   alone at the end. vitest does this itself from an earlier run's results on this machine; a
 *   clean clone (CI) has none, and vitest's fallback (larger files first) put a 2-minute file
 *   last. There the measured seconds in test/durations.json (scripts/test-durations.mjs) order
 *   the files; a file not listed there starts first.
 * - Never two of the files that keep both cores busy on their own at once (HEAVY): the e2e file
 *   (Chromium, the workbench and its trainers) and the webgpu file (SwiftShader's threads). In
 *   two full runs that started them together they took 205 and 201 s, then 236 and 210 s; in
 *   two that kept them apart, 166 and 164 s, then 206 and 199 s. The machine drifted as much
 *   between runs, so the gain is uncertain; the cause is likely (threads that spin while they
 *   wait burn the other file's time) and the rule costs nothing. The order is planned as the two
 *   workers would take the files, from their measured seconds: a worker that frees while a heavy
 *   file runs on the other takes the longest light file instead of the next heavy one.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import durations from './durations.json';

const SECONDS: Record<string, number> = durations;
const HEAVY = new Set(['test/e2e/workbench.test.ts', 'test/webgpu/webgpu.test.ts']);
const WORKERS = 2;

/** Files (by path) in the order two workers would start them, never two heavy ones at once. */
export function plannedOrder(files: readonly string[], seconds: (file: string) => number): string[] {
  const waiting = [...files].sort((a, b) => seconds(b) - seconds(a));
  const running: Array<{ file: string; end: number } | null> = Array(WORKERS).fill(null);
  const order: string[] = [];
  let now = 0;
  while (waiting.length) {
    // The worker that frees first takes the next file.
    const slot = running.reduce((best, r, i) => ((r?.end ?? 0) < (running[best]?.end ?? 0) ? i : best), 0);
    now = Math.max(now, running[slot]?.end ?? 0);
    running[slot] = null;
    const heavyRunning = running.some((r) => r && r.end > now && HEAVY.has(r.file));
    const pick = heavyRunning
      ? Math.max(
          0,
          waiting.findIndex((f) => !HEAVY.has(f)),
        )
      : 0;
    const [file] = waiting.splice(pick, 1);
    order.push(file!);
    const s = seconds(file!);
    running[slot] = { file: file!, end: now + (Number.isFinite(s) ? s : 0) };
  }
  return order;
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const key = (f: TestSpecification) => `${f.project.name}:${relative(root, f.moduleId)}`;
    if (files.every((f) => this.ctx.cache.getFileTestResults(key(f)))) return super.sort(files);
    const path = (f: TestSpecification) => relative(root, f.moduleId);
    const byPath = new Map(files.map((f) => [path(f), f]));
    return plannedOrder([...byPath.keys()], (file) => SECONDS[file] ?? Infinity).map((p) => byPath.get(p)!);
  }
}
