/** `deml data check-episodes`: an episode file checked against a dataset, no trained model needed. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demlInProcess } from '../helpers/cli';
import { tempDirs } from '../helpers/temp';

const temp = tempDirs('deml-check-episodes');
const deml = demlInProcess;

describe('deml data check-episodes', () => {
  const data = 'synthetic:classes=6,images=4,size=8';
  const episode = (label1Item: number) => ({
    support: [
      { label: 0, item: 0 },
      { label: 1, item: label1Item },
    ],
    query: [
      { label: 0, item: 1 },
      { label: 1, item: 5 },
    ],
  });

  it('says a good file is valid, with its shape; names the entry of a bad one (exit 2)', async () => {
    const dir = temp();
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ ways: 2, episodes: [episode(4), episode(6)] }));
    const ok = await deml(['data', 'check-episodes', good, '--data', data, '--data-dir', dir]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(
      /^good\.json: 2 episodes of 2-way tasks, 1 support per class, 1 query per class, on dataset 'synthetic:classes=6,images=4,size=8': valid/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ways: 2, episodes: [episode(4), episode(24)] }));
    const refused = await deml(['data', 'check-episodes', bad, '--data', data, '--data-dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/episodes\[1\]\.support\[1\]: item 24 is not an image of dataset/);
    expect((await deml(['data', 'check-episodes', good, '--data-dir', dir])).code).toBe(2);
  });
});
