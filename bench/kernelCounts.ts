/**
 * Kernel calls in one meta-training task (its meta-gradient, and in the concept space D's term on
 * the external batch), by kernel, on the backends given: what a GPU pays a dispatch for each. On
 * `webgpu` (and `tensorflow`) our fused wasm kernels (batch norm, its fusion with ReLU and max-pool)
 * run as composed tfjs ops, so the counts there are the cpu backend's. Prints figures; never fails.
 *
 *   npx tsx bench/kernelCounts.ts [--backends wasm,cpu] [--cells "MAML · concept · 1-shot,MAML · pixels · 1-shot"]
 */
import { parseArgs } from 'node:util';
import { findPreset } from '../src-main/contract/presets';
import { resolveDataDir } from '../src-main/layout/dataDirectory';
import { resolveDataset } from '../src-main/data/resolve';
import {
  ExternalSampler,
  Rng,
  buildModel,
  parseExperimentConfig,
  selectBackend,
  taskTensors,
  tf,
} from '../src-main/engine';
import type { BackendPreference } from '../src-main/contract/config';
import { taskStream } from '../src-main/engine/taskStream';
import { splitClasses } from '../src-main/engine/episodes';
import { table } from './lib/table';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    cells: { type: 'string', default: 'MAML · concept · 1-shot,MAML · pixels · 1-shot' },
  },
});
const preset = findPreset('concept-vs-pixels');
const dataDir = resolveDataDir();
const rows: string[][] = [];
for (const label of values.cells!.split(',')) {
  const run = preset.runs.find((r) => r.label === label);
  if (!run) throw new Error(`no cell '${label}' in the concept-vs-pixels preset`);
  const config = parseExperimentConfig(run.config);
  const dataset = await resolveDataset(config.data, dataDir);
  const external = config.space === 'concept' ? await resolveDataset(config.concept.external, dataDir) : null;
  for (const backend of values.backends!.split(',')) {
    await selectBackend(backend as BackendPreference);
    const model = buildModel(config, dataset, external);
    const meta = model.init(new Rng(0));
    const episode = taskStream(
      dataset,
      splitClasses(dataset, config.split, 0).train,
      config,
      new Rng(1),
    ).next();
    const shape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
    const t0 = performance.now();
    const info = await tf.profile(() => {
      const g = model.learner.metaGradient(meta, taskTensors(episode, shape));
      const d =
        model.discriminator && external
          ? model.discriminator.gradient(
              meta,
              new ExternalSampler(external, new Rng(2)).next(config.concept.externalBatch),
              1,
              true,
            )
          : null;
      return [...Object.values(g.grads), g.loss, g.accuracy, ...Object.values(d?.grads ?? {})];
    });
    const ms = performance.now() - t0;
    const byName = new Map<string, number>();
    for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
    const top = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
    rows.push([
      label,
      backend,
      String(info.kernels.length),
      top.map(([n, c]) => `${n} ${c}`).join(', '),
      (ms / 1000).toFixed(1),
    ]);
    tf.dispose(Object.values(meta));
  }
}
console.log('\n## Kernel calls in one meta-training task (a GPU dispatch each)\n');
table(['cell', 'backend', 'kernels/task', 'most called', 's (profiled)'], rows);
