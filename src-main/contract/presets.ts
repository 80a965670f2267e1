/**
 * Ready-made experiment sets: each preset is a list of runs that differ only in what the
 * comparison is about (same seeds, same budget, same data), so a table of their results reads
 * directly as the comparison. Protocol presets reproduce a paper's protocol, with its published
 * figures to show beside the cells (docs/SCIENCE.md).
 */
import type { ExperimentConfigInput } from './config';
import { LEARNER_INFO, type LearnerName } from './learners';
import type { PublishedResult } from './results';

export interface PresetRun {
  /** Row/column label in result tables, e.g. "MAML · concept · 1-shot". */
  label: string;
  config: ExperimentConfigInput;
}

export interface Preset {
  id: string;
  title: string;
  description: string;
  runs: PresetRun[];
  /** Published figures for the preset's table (protocol presets). */
  published: PublishedResult[];
  /** What the preset needs first (an imported dataset), in words. */
  requires?: string;
  /** How `budget` scaled the paper's budget, in words (null when nothing was scaled). */
  scaled: string | null;
}

/** What every run of a preset shares; callers may override the budget. */
export interface PresetBudget {
  iterations: number;
  evalTasks: number;
  seed: number;
  data: string;
  /**
   * A fraction (0, 1] of the preset's own iterations, for a CPU: a protocol preset's 60,000
   * iterations are a GPU's work. An explicit `iterations` wins over it.
   */
  budget: number;
}

/** What a preset's runs take of the budget: every field of their configs. */
type RunBudget = Omit<PresetBudget, 'budget'>;

const PRESET_BUDGET: PresetBudget = { iterations: 500, evalTasks: 600, seed: 0, data: 'glyphs', budget: 1 };

/** The tag an experiment made from a preset carries, so its table can show the published figures. */
export const presetTag = (id: string) => `preset:${id}`;

function conceptVsPixels(b: RunBudget): PresetRun[] {
  const runs: PresetRun[] = [];
  for (const shots of [1, 5]) {
    for (const learner of ['maml', 'metasgd'] as const) {
      for (const space of ['pixels', 'concept'] as const) {
        runs.push({
          label: `${learner === 'maml' ? 'MAML' : 'Meta-SGD'} · ${space} · ${shots}-shot`,
          config: {
            learner,
            space,
            ways: 5,
            shots,
            queries: 15,
            // The paper's meta-batch: 4 tasks for 1-shot, 2 for 5-shot.
            metaBatch: shots === 1 ? 4 : 2,
            innerSteps: 1,
            testInnerSteps: 3,
            innerLr: 0.4,
            metaLr: 0.001,
            valEvery: 0,
            model: { filters: 32 },
            ...b,
          },
        });
      }
    }
  }
  return runs;
}

function mamlVsMetaSgd(b: RunBudget): PresetRun[] {
  return (['maml', 'metasgd'] as const).map((learner) => ({
    label: learner === 'maml' ? 'MAML' : 'Meta-SGD',
    config: { learner, ways: 5, shots: 1, queries: 15, metaBatch: 4, model: { filters: 32 }, ...b },
  }));
}

/**
 * The survey's three families side by side on one task budget: every learner sees the same number
 * of training episodes (a MANN's are sequences: 2 tasks of 2 sequences per iteration, one per
 * thread; the others 4 episodes), 5-way, the same data and seeds.
 */
function families(b: RunBudget): PresetRun[] {
  const shared = { ways: 5, shots: 1, queries: 15, valEvery: 0, metaLr: 0.001, model: { filters: 32 }, ...b };
  // First-order MAML is left to the miniImageNet preset: it approximates MAML, not a family's own.
  const learners: LearnerName[] = [
    'siamese',
    'protonet',
    'matchingnet',
    'mann',
    'maml',
    'metasgd',
    'reptile',
    'anil',
  ];
  return learners.map((learner) => ({
    label: `${LEARNER_INFO[learner].short} (${LEARNER_INFO[learner].family})`,
    config:
      LEARNER_INFO[learner].tasks === 'sequences'
        ? { ...shared, learner, metaBatch: 2, mann: { batch: 2 } }
        : // Reptile with one inner step is joint training on the support sets (Nichol et al.).
          { ...shared, learner, metaBatch: 4, ...(learner === 'reptile' ? { innerSteps: 3 } : {}) },
  }));
}

const OMNIGLOT_SETTINGS = [
  [5, 1],
  [5, 5],
  [20, 1],
  [20, 5],
] as const;

/**
 * MAML's Omniglot protocol (Finn et al. 2017): conv4 with 64 filters and stride-2 convolutions on
 * 28×28, as many query images as shots, Adam 0.001 for 60k iterations; 5-way: α 0.4, 1 inner step
 * (3 at test), meta-batch 32; 20-way: α 0.1, 5 inner steps, meta-batch 16. MAML and Meta-SGD.
 */
function omniglotMaml(b: RunBudget): PresetRun[] {
  return (['maml', 'metasgd'] as const).flatMap((learner) =>
    OMNIGLOT_SETTINGS.map(([ways, shots]) => ({
      label: `${learner === 'maml' ? 'MAML' : 'Meta-SGD'} · ${ways}-way ${shots}-shot`,
      config: {
        learner,
        ways,
        shots,
        queries: shots,
        metaBatch: ways === 5 ? 32 : 16,
        innerSteps: ways === 5 ? 1 : 5,
        testInnerSteps: ways === 5 ? 3 : 5,
        innerLr: ways === 5 ? 0.4 : 0.1,
        metaLr: 0.001,
        valEvery: 0,
        model: { filters: 64, downsample: 'stride' as const },
        ...b,
      },
    })),
  );
}

/**
 * MAML's miniImageNet protocol: 64/16/20 classes (Ravi & Larochelle's CSVs), 84×84×3, conv4 with
 * 32 filters and max-pooling, 15 queries, α 0.01, 5 inner steps (10 at test), meta-batch 4
 * (1-shot) or 2 (5-shot), 60k iterations. MAML, first-order MAML, and Meta-SGD (one inner step).
 */
function miniImageNetMaml(b: RunBudget): PresetRun[] {
  const names = { maml: 'MAML', fomaml: 'first-order MAML', metasgd: 'Meta-SGD' } as const;
  return (['maml', 'fomaml', 'metasgd'] as const).flatMap((learner) =>
    ([1, 5] as const).map((shots) => ({
      label: `${names[learner]} · 5-way ${shots}-shot`,
      config: {
        learner,
        ways: 5,
        shots,
        queries: 15,
        metaBatch: shots === 1 ? 4 : 2,
        innerSteps: learner === 'metasgd' ? 1 : 5,
        testInnerSteps: learner === 'metasgd' ? 1 : 10,
        innerLr: 0.01,
        metaLr: 0.001,
        valEvery: 0,
        model: { filters: 32 },
        ...b,
      },
    })),
  );
}

/** Published figures of docs/SCIENCE.md, as table rows. */
function published(
  data: string,
  rows: Record<string, Array<[ways: number, shots: number, mean: number, ci95: number]>>,
): PublishedResult[] {
  return Object.entries(rows).flatMap(([method, cells]) =>
    cells.map(([ways, shots, mean, ci95]) => ({
      method,
      data,
      ways,
      shots,
      mean: mean / 100,
      ci95: ci95 / 100,
    })),
  );
}

/** The run budget of a preset: the caller's iterations, else its own scaled by `budget`. */
function scale(
  own: number,
  b: PresetBudget,
  explicit: boolean,
): { iterations: number; scaled: string | null } {
  if (explicit || b.budget === 1) return { iterations: explicit ? b.iterations : own, scaled: null };
  const iterations = Math.max(1, Math.round(own * b.budget));
  return {
    iterations,
    scaled: `budget ${b.budget}: ${own.toLocaleString('en')} → ${iterations.toLocaleString('en')} iterations per run (meta-test tasks unchanged)`,
  };
}

export function presets(budget: Partial<PresetBudget> = {}): Preset[] {
  const b = { ...PRESET_BUDGET, ...budget };
  const explicit = budget.iterations !== undefined;
  const own = (iterations: number) => scale(iterations, b, explicit);
  const small = own(PRESET_BUDGET.iterations);
  const paper = own(60_000);
  const { budget: _fraction, ...rest } = b;
  const shared: RunBudget = { ...rest, iterations: small.iterations };
  const protocol = (data: string): RunBudget => ({
    ...shared,
    iterations: paper.iterations,
    data: budget.data ?? data,
  });
  const omniglot = protocol('omniglot');
  const mini = protocol('miniimagenet');
  return [
    {
      id: 'concept-vs-pixels',
      title: 'Concept space vs pixels',
      description:
        'MAML and Meta-SGD on raw pixels (conv4) and in the concept space (DEML: ResNet generator, ' +
        'discriminator on the external dataset), 5-way 1-shot and 5-shot, same seed and budget.',
      runs: conceptVsPixels(shared),
      published: [],
      scaled: small.scaled,
    },
    {
      id: 'maml-vs-metasgd',
      title: 'MAML vs Meta-SGD',
      description: 'Second-order MAML against Meta-SGD, 5-way 1-shot on pixels, same seed and budget.',
      runs: mamlVsMetaSgd(shared),
      published: [],
      scaled: small.scaled,
    },
    {
      id: 'families',
      title: 'The three families',
      description:
        'Siamese, Prototypical and Matching Networks (metric), MANN (model-based), MAML, Meta-SGD, ' +
        'Reptile and ANIL (optimisation), 5-way, on the same data, seeds and number of training episodes (a MANN sees ' +
        'sequences of 5 classes × 10 presentations).',
      runs: families(shared),
      published: [],
      scaled: small.scaled,
    },
    {
      id: 'omniglot-maml',
      title: 'Omniglot (MAML protocol)',
      description:
        'MAML and Meta-SGD on Omniglot, 5- and 20-way, 1- and 5-shot, with the hyperparameters of ' +
        'Finn et al. (2017): 1200 meta-train characters plus rotations, the rest for meta-test, 60k ' +
        'iterations. Published figures beside the cells.',
      runs: omniglotMaml(omniglot),
      published: published(omniglot.data, {
        'MAML (Finn et al. 2017)': [
          [5, 1, 98.7, 0.4],
          [5, 5, 99.9, 0.1],
          [20, 1, 95.8, 0.3],
          [20, 5, 98.9, 0.2],
        ],
        'Meta-SGD (Li et al. 2017)': [
          [5, 1, 99.53, 0.26],
          [5, 5, 99.93, 0.09],
        ],
      }),
      requires:
        `dataset '${omniglot.data}': deml data import --format omniglot --name ${omniglot.data} --rotations ` +
        'images_background.zip images_evaluation.zip (the standard split: 1200 characters for meta-training)',
      scaled: paper.scaled,
    },
    {
      id: 'miniimagenet-maml',
      title: 'miniImageNet (MAML protocol)',
      description:
        'MAML, first-order MAML and Meta-SGD on miniImageNet (64/16/20 classes, 84×84), 5-way 1- and ' +
        '5-shot, with the hyperparameters of Finn et al. (2017): conv4-32, 5 inner steps (10 at test), ' +
        '60k iterations. Published figures beside the cells.',
      runs: miniImageNetMaml(mini),
      published: published(mini.data, {
        'MAML (Finn et al. 2017)': [
          [5, 1, 48.7, 1.84],
          [5, 5, 63.11, 0.92],
        ],
        'first-order MAML (Finn et al. 2017)': [
          [5, 1, 48.07, 1.75],
          [5, 5, 63.15, 0.91],
        ],
        'Meta-SGD (Li et al. 2017)': [
          [5, 1, 50.47, 1.87],
          [5, 5, 64.03, 0.94],
        ],
      }),
      requires: `dataset '${mini.data}': deml data import --format miniimagenet --name ${mini.data} --size 84 PATH (images/ and the train/val/test CSVs)`,
      scaled: paper.scaled,
    },
  ];
}

export function findPreset(id: string, budget: Partial<PresetBudget> = {}): Preset {
  const preset = presets(budget).find((p) => p.id === id);
  if (!preset)
    throw new Error(
      `unknown preset '${id}' (known: ${presets()
        .map((p) => p.id)
        .join(', ')})`,
    );
  return preset;
}
