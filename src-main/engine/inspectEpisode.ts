/**
 * One seeded episode of a checkpoint's evaluation, looked into: its images and, per query, the
 * class probabilities after adaptation, for the episode viewer. Episode i is the i-th of the same
 * seeded stream an evaluation with these settings scores (evaluate.ts seededEpisodes), so what the
 * viewer shows is what the meta-test counted.
 */
import type { EpisodeView } from '../contract/episodeView';
import { learnsFromSequences } from '../contract/learners';
import type { LoadedCheckpoint } from './checkpoint';
import type { ClassIndexedDataset } from './dataset';
import { seededEpisodes } from './evaluate';
import { type CheckpointEvaluationSettings, checkpointModel } from './evaluateCheckpoint';
import { taskTensors } from './learners/task';
import { disposeParams } from './nn/params';
import type { ImageShape } from './nn/shapes';
import { tf } from './tf';

export interface EpisodeInspectionOptions {
  checkpoint: LoadedCheckpoint;
  trainedOn: ImageShape;
  dataset: ClassIndexedDataset;
  settings: CheckpointEvaluationSettings;
  /** Which episode of the seeded stream (0-based). */
  index: number;
}

/** The episode and its predictions, without the run's id and checkpoint step (the caller knows them). */
export type InspectedEpisode = Omit<EpisodeView, 'runId' | 'step'>;

export async function inspectEpisode(o: EpisodeInspectionOptions): Promise<InspectedEpisode> {
  const trained = o.checkpoint.header.config;
  if (learnsFromSequences(trained.learner)) {
    throw new Error(
      'the episode viewer shows N-way K-shot episodes; a MANN learns from sequences, which it does not show yet',
    );
  }
  const { dataset, settings } = o;
  const { shape, classIds, learner, meta } = checkpointModel(o);
  try {
    const source = seededEpisodes(
      dataset,
      classIds,
      { ...shape, learner: trained.learner, mann: trained.mann, siamese: trained.siamese },
      settings.episodeSeed,
      settings.split,
    );
    // Drawn one at a time up to the one asked for: the earlier ones only advance the stream.
    let [episode] = await source.take(0, 1);
    for (let i = 0; i < o.index; i++) [episode] = await source.take(i + 1, 1);
    const innerSteps = learner.adaptsAtTestTime ? settings.innerSteps : 0;
    const imageShape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
    const probabilities = tf.tidy(() => {
      const out = learner.evaluate(meta, taskTensors(episode!, imageShape), innerSteps);
      if (!out.probabilities) throw new Error(`${trained.learner} gives no per-query probabilities`);
      return out.probabilities;
    });
    const rows = (await probabilities.array()) as number[][];
    probabilities.dispose();
    const size = dataset.width * dataset.height * dataset.channels;
    const image = (pixels: Float32Array, k: number) =>
      Buffer.from(
        Uint8Array.from(pixels.subarray(k * size, (k + 1) * size), (v) => Math.round(v * 255)),
      ).toString('base64');
    const e = episode!;
    const query = Array.from(e.queryLabels, (label, k) => {
      const p = rows[k]!;
      return {
        label,
        image: image(e.queryImages, k),
        predicted: p.indexOf(Math.max(...p)),
        probabilities: p,
      };
    });
    return {
      split: settings.split,
      index: o.index,
      episodeSeed: settings.episodeSeed,
      ways: e.ways,
      shots: e.shots,
      queries: e.queries,
      innerSteps,
      width: dataset.width,
      height: dataset.height,
      channels: dataset.channels,
      classNames: e.classes.map((c) => dataset.classNames[c] ?? `class ${c}`),
      support: Array.from(e.supportLabels, (label, k) => ({ label, image: image(e.supportImages, k) })),
      query,
      accuracy: query.filter((q) => q.predicted === q.label).length / Math.max(1, query.length),
    };
  } finally {
    disposeParams(meta);
  }
}
