/**
 * One seeded episode of a checkpoint's evaluation, looked into: its images and, per query, the
 * class probabilities after adaptation, for the episode viewer. Episode i is the i-th of the same
 * seeded stream an evaluation with these settings scores (evaluate.ts seededEpisodes), so what the
 * viewer shows is what the meta-test counted. A MANN's episode is a task of sequences: the first of
 * them is shown step by step, with each step's prediction from the MANN's own forward.
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
    const e = episode!;
    const innerSteps = learner.adaptsAtTestTime ? settings.innerSteps : 0;
    const imageShape: [number, number, number] = [dataset.height, dataset.width, dataset.channels];
    const scored = tf.tidy(() => {
      const out = learner.evaluate(meta, taskTensors(e, imageShape), innerSteps);
      if (!out.probabilities) throw new Error(`${trained.learner} gives no per-query probabilities`);
      return { probabilities: out.probabilities, accuracy: out.accuracy };
    });
    let rows: number[][];
    let taskAccuracy: number;
    try {
      rows = (await scored.probabilities.array()) as number[][];
      taskAccuracy = (await scored.accuracy.data())[0]!;
    } finally {
      tf.dispose([scored.probabilities, scored.accuracy]);
    }
    const size = dataset.width * dataset.height * dataset.channels;
    const image = (pixels: Float32Array, k: number) =>
      Buffer.from(
        Uint8Array.from(pixels.subarray(k * size, (k + 1) * size), (v) => Math.round(v * 255)),
      ).toString('base64');
    const predicted = (p: number[]) => p.indexOf(Math.max(...p));
    const common = {
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
    };
    if (learnsFromSequences(trained.learner)) {
      const seq = e.sequence;
      if (!seq) throw new Error(`${trained.learner} learns from sequences: the episode has none`);
      // The first sequence: its rows lead the sequence-major images, labels and probabilities.
      const steps = Array.from({ length: seq.steps }, (_, t) => {
        const p = rows[t]!;
        return {
          image: image(seq.images, t),
          label: seq.labels[t]!,
          presentation: seq.instance[t]! + 1,
          predicted: predicted(p),
          probabilities: p,
        };
      });
      const presentations = trained.mann.instances;
      // Over the steps at each presentation (N of them, one per class; with shuffled labels,
      // however many there are), as the MANN's own figure counts them.
      const byPresentation = Array.from({ length: presentations }, (_, k) => {
        const at = steps.filter((s) => s.presentation === k + 1);
        return at.filter((s) => s.predicted === s.label).length / Math.max(1, at.length);
      });
      return {
        ...common,
        // Labels are drawn afresh per sequence and stand for different classes in each.
        classNames: Array.from({ length: e.ways }, (_, l) => `label ${l + 1}`),
        support: [],
        query: [],
        accuracy: taskAccuracy,
        sequence: { sequences: seq.batch, presentations, steps, byPresentation },
      };
    }
    const query = Array.from(e.queryLabels, (label, k) => {
      const p = rows[k]!;
      return { label, image: image(e.queryImages, k), predicted: predicted(p), probabilities: p };
    });
    return {
      ...common,
      classNames: e.classes.map((c) => dataset.classNames[c] ?? `class ${c}`),
      support: Array.from(e.supportLabels, (label, k) => ({ label, image: image(e.supportImages, k) })),
      query,
      accuracy: query.filter((q) => q.predicted === q.label).length / Math.max(1, query.length),
    };
  } finally {
    disposeParams(meta);
  }
}
