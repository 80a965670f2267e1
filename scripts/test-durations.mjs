#!/usr/bin/env node
// Writes test/durations.json, each test file's seconds in a full run, from vitest's JSON report:
//   npx vitest run --reporter=default --reporter=json --outputFile=/tmp/suite.json
//   node scripts/test-durations.mjs /tmp/suite.json
// vitest.config.ts's sequencer starts the longest files first on a clean clone (CI), which has
// no results cached from an earlier run to order them by.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

const report = process.argv[2];
if (!report) {
  console.error('usage: node scripts/test-durations.mjs <vitest JSON report>');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const { testResults } = JSON.parse(readFileSync(report, 'utf8'));
const seconds = Object.fromEntries(
  testResults
    .map((f) => [relative(root, f.name), Math.round((f.endTime - f.startTime) / 100) / 10])
    .sort(([a], [b]) => (a < b ? -1 : 1)),
);
writeFileSync(resolve(root, 'test/durations.json'), `${JSON.stringify(seconds, null, 2)}\n`);
console.log(`test/durations.json: ${Object.keys(seconds).length} files`);
