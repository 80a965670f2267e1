/**
 * The order test files start in: the longest first, so that the two workers end together rather
 * than one running the slowest file alone at the end. vitest does this itself from the results
 * of an earlier run on this machine; a clean clone (CI) has none, and vitest's fallback (larger
 * files first) put a 2-minute file last. There the measured seconds in test/durations.json
 * (scripts/test-durations.mjs) order the files; a file not listed there starts first.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import durations from './durations.json';

const SECONDS: Record<string, number> = durations;

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const key = (f: TestSpecification) => `${f.project.name}:${relative(root, f.moduleId)}`;
    if (files.every((f) => this.ctx.cache.getFileTestResults(key(f)))) return super.sort(files);
    const seconds = (f: TestSpecification) => SECONDS[relative(root, f.moduleId)] ?? Infinity;
    return [...files].sort((a, b) => seconds(b) - seconds(a));
  }
}
