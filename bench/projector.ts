/**
 * The concept projector on the embedded glyphs: MAML trained briefly on the pixels and in the
 * concept space (the small-budget cells of the concept-vs-pixels preset), each projected at its two
 * kept checkpoints by PCA and UMAP, as the workbench does it (a job per projection, through the
 * service). Prints the k-NN accuracy of each embedding and the time each projection took; never
 * fails on a figure.
 *
 *   npx tsx bench/projector.ts [--iterations 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WorkbenchService } from '../src-main/service/service';

const { values } = parseArgs({ options: { iterations: { type: 'string' } } });
const iterations = Number(values.iterations ?? 200);
const dataDir = mkdtempSync(join(tmpdir(), 'deml-bench-projector-'));
const service = WorkbenchService.open({ dataDir, appVersion: 'bench', mode: 'owner', pollMs: 200 });
const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 250));
};
const active = (status: string) => status === 'queued' || status === 'running';

try {
  const { runs } = await service.createExperiment({
    name: 'projector bench',
    config: {
      learner: 'maml',
      data: 'glyphs',
      ways: 5,
      shots: 1,
      queries: 15,
      metaBatch: 4,
      innerLr: 0.4,
      metaLr: 0.001,
      iterations,
      checkpointEvery: Math.max(1, Math.floor(iterations / 4)),
      valEvery: 0,
      evalTasks: 100,
      model: { filters: 32 },
      backend: 'wasm',
    },
    variants: [{ space: 'pixels' }, { space: 'concept' }],
  });
  console.log(
    '| run | checkpoint | embedding | 5-NN accuracy (chance) | meta-test (100 tasks) | PCA job | UMAP job |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const { id } of runs) {
    await until(() => !active(service.store.runs.get(id)!.status));
    const run = service.run(id);
    for (const { step } of run.checkpoints) {
      const row: string[] = [];
      let figure = '';
      for (const method of ['pca', 'umap'] as const) {
        const asked = await service.call('runs:project', [id, { step, method }]);
        await until(() => !active(service.store.projections.get(asked.id)!.status));
        const p = service.store.projections.get(asked.id)!;
        if (!p.result) throw new Error(`projection ${p.id}: ${p.status} ${p.error}`);
        const r = p.result;
        figure = `${(100 * r.knn.accuracy).toFixed(1)}% (${(100 * r.chance).toFixed(1)}%) | ${r.embedding}`;
        row.push(
          `${((p.endedAt! - p.startedAt!) / 1000).toFixed(1)} s (${(r.durationMs / 1000).toFixed(2)} s computing)`,
        );
      }
      const [knn, embedding] = figure.split(' | ');
      const test = run.testMean == null ? '–' : `${(100 * run.testMean).toFixed(1)}%`;
      console.log(`| ${run.config.space} | ${step} | ${embedding} | ${knn} | ${test} | ${row.join(' | ')} |`);
    }
  }
} finally {
  await service.close();
  rmSync(dataDir, { recursive: true, force: true });
}
