/**
 * The experiment configuration: one schema shared by the CLI, the service, the renderer's
 * inline validation and the engine. No runtime-specific imports here (docs/DESIGN.md).
 *
 * Defaults follow MAML's Omniglot 5-way setup (docs/SCIENCE.md) except the meta-batch (4 instead of
 * 32), which keeps a CPU run affordable; every default is an option.
 */
import { z } from 'zod';
import { LEARNERS } from './learners';
import { type SettingDescription, describeSettings, fieldLabel, setting } from './settings';

export { LEARNERS, type LearnerName } from './learners';

/** Where the meta-learner works: on raw pixels (conv4), or on the concept generator's output (DEML). */
export const SPACES = ['pixels', 'concept'] as const;
export type Space = (typeof SPACES)[number];

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKENDS)[number];
/** What the backend choice means, in the form and in Settings. */
export const BACKEND_HELP =
  'auto: a GPU when there is one (TensorFlow on CUDA when tfjs-node-gpu is installed, else any GPU ' +
  'through WebGPU: NVIDIA, AMD, Intel, Apple), else WebAssembly on the CPU. Each run records the ' +
  'backend it got and, when the GPU is not used, why. webgpu forced where there is no GPU runs on a ' +
  'CPU adapter (SwiftShader) if there is one: slow, for checks only; with no adapter the run fails ' +
  'and says why.';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const positiveNumber = z.number().positive().finite();
const fraction = z.number().min(0).max(1);

const PIXELS = 'Network on the pixels';
const CONCEPT = 'Concept space';

export const ModelConfigSchema = z
  .object({
    /** The instance-space network: conv4 (Finn et al.). */
    kind: z.literal('conv4').default('conv4'),
    filters: setting(positiveInt.default(64), {
      flag: 'filters',
      label: 'Filters per conv block',
      help: 'width of conv4 (Omniglot 64, miniImageNet 32)',
      group: PIXELS,
      space: 'pixels',
    }),
    blocks: setting(positiveInt.max(8).default(4), {
      flag: 'blocks',
      label: 'Conv blocks',
      help: 'depth of conv4',
      group: PIXELS,
      space: 'pixels',
    }),
    activation: setting(z.enum(['relu', 'tanh', 'softplus']).default('relu'), {
      flag: 'activation',
      label: 'Activation',
      help: 'after batch norm; tanh and softplus make the meta-loss smooth (gradient checks)',
      group: PIXELS,
      space: 'pixels',
    }),
    downsample: setting(z.enum(['maxpool', 'stride']).default('maxpool'), {
      flag: 'downsample',
      label: 'Downsampling',
      help: "2×2 max-pool after each block, or stride-2 convolutions (MAML's Omniglot code)",
      group: PIXELS,
      space: 'pixels',
    }),
  })
  .strict();
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const GeneratorConfigSchema = z
  .object({
    stages: setting(z.array(positiveInt.max(8)).min(1).max(5).default([1, 1, 1, 1]), {
      flag: 'stages',
      label: 'Generator stages',
      help: 'residual blocks per stage: 1,1,1,1 is ResNet-10-like, 2,2,2,2 ResNet-18-like',
      group: CONCEPT,
      space: 'concept',
    }),
    width: setting(positiveInt.default(16), {
      flag: 'generator-width',
      label: 'Generator width',
      help: 'channels of the first stage, doubled by each later stage',
      unit: 'channels',
      group: CONCEPT,
      space: 'concept',
    }),
    conceptSize: setting(positiveInt.default(64), {
      flag: 'concept-size',
      label: 'Concept size',
      help: "length of the concept vector G(x) (the paper's ResNet-50 gives 2048)",
      group: CONCEPT,
      space: 'concept',
    }),
    preActivation: setting(z.boolean().default(false), {
      flag: 'pre-activation',
      label: 'Pre-activation blocks',
      help: 'batch norm and ReLU before each convolution (He et al. 2016) instead of after',
      group: CONCEPT,
      space: 'concept',
    }),
  })
  .strict();

/** Deep meta-learning in the concept space (Zhou, Wu, Li 2018): G, D and M trained jointly. */
export const ConceptConfigSchema = z
  .object({
    generator: GeneratorConfigSchema.prefault({}),
    head: setting(z.array(positiveInt).max(4).default([128, 64]), {
      flag: 'head',
      label: 'Meta-learner head',
      help: 'hidden sizes of the MLP M on G(x) for the optimisation learners (the paper: 1024,512)',
      group: CONCEPT,
      space: 'concept',
    }),
    lambda: setting(z.number().min(0).finite().default(1), {
      flag: 'lambda',
      label: 'Discrimination weight λ',
      help: "weight of D's loss beside the meta-loss (the paper leaves it open)",
      group: CONCEPT,
      space: 'concept',
    }),
    external: setting(z.string().min(1).default('glyphs-external'), {
      flag: 'external',
      label: 'External dataset',
      help: 'labelled images the concept discriminator D learns to classify; same image size as the data',
      group: CONCEPT,
      space: 'concept',
    }),
    externalBatch: setting(positiveInt.default(64), {
      flag: 'external-batch',
      label: 'External batch',
      help: 'external images per iteration (the paper: 64)',
      unit: 'images',
      group: CONCEPT,
      space: 'concept',
    }),
    generatorLr: setting(positiveNumber.optional(), {
      flag: 'generator-lr',
      label: 'Generator learning rate',
      help: "Adam's rate for G and D; unset: the meta learning rate β",
      group: CONCEPT,
      space: 'concept',
    }),
    generatorMode: setting(z.enum(['joint', 'frozen']).default('joint'), {
      flag: 'generator-mode',
      label: 'Generator training',
      help: 'joint: G learns with D and M throughout; frozen: G and D pretrained, then G fixed',
      group: CONCEPT,
      space: 'concept',
      choices: { joint: 'joint (G learns with D and M)', frozen: 'frozen (pretrained, then fixed)' },
    }),
    pretrainIterations: setting(nonNegativeInt.default(0), {
      flag: 'pretrain-iterations',
      label: 'Pretraining iterations',
      help: 'iterations of G and D on the external data before meta-training (a frozen G needs some)',
      unit: 'iterations',
      group: CONCEPT,
      space: 'concept',
    }),
  })
  .strict()
  .refine((c) => c.generatorMode !== 'frozen' || c.pretrainIterations > 0, {
    message: 'a frozen generator needs some pretraining (it would stay random): give at least 1',
    path: ['pretrainIterations'],
  });
export type ConceptConfig = z.infer<typeof ConceptConfigSchema>;

const SIAMESE = { group: 'Siamese network', learners: ['siamese'] } as const;

/** Siamese networks (Koch, Zemel, Salakhutdinov 2015): a learned weighted L1 on twin embeddings. */
export const SiameseConfigSchema = z
  .object({
    positiveFraction: setting(
      z
        .number()
        .gt(0, 'must be between 0 and 1 (exclusive): a task needs both kinds of pair')
        .lt(1, 'must be between 0 and 1 (exclusive): a task needs both kinds of pair')
        .default(0.5),
      {
        flag: 'positive-fraction',
        label: 'Same-class pairs',
        help: 'fraction of the pairs drawn per task that show one class',
        ...SIAMESE,
      },
    ),
    pairs: setting(positiveInt.max(4096).default(64), {
      flag: 'pairs',
      label: 'Pairs per task',
      help: "image pairs drawn from each task's support and query images",
      unit: 'pairs',
      ...SIAMESE,
    }),
    aggregate: setting(z.enum(['mean', 'max']).default('mean'), {
      flag: 'aggregate',
      label: "A query's score for a class",
      help: 'how its similarities to the class’s support images become one score',
      choices: {
        mean: 'mean similarity to its support images',
        max: 'highest similarity to its support images',
      },
      ...SIAMESE,
    }),
  })
  .strict();
export type SiameseConfig = z.infer<typeof SiameseConfigSchema>;

const MANN = { group: 'MANN', learners: ['mann'] } as const;

/**
 * MANN (Santoro et al. 2016): an LSTM controller with an external memory read by cosine
 * similarity and written by least-recently-used access. Its tasks are sequences of `ways`
 * classes × `instances` presentations, each image shown with the previous step's label.
 */
export const MannConfigSchema = z
  .object({
    instances: setting(
      positiveInt.min(2, 'must be at least 2: the first presentation of a class is a guess').default(10),
      {
        flag: 'instances',
        label: 'Presentations per class',
        help: 'times each class is shown in a sequence (M; the paper: 10)',
        ...MANN,
      },
    ),
    memorySlots: setting(positiveInt.default(128), {
      flag: 'memory-slots',
      label: 'Memory slots',
      help: 'rows of the external memory; at least ways × presentations',
      ...MANN,
    }),
    slotSize: setting(positiveInt.default(40), {
      flag: 'slot-size',
      label: 'Slot size',
      help: 'length of each memory row',
      ...MANN,
    }),
    readHeads: setting(positiveInt.default(4), {
      flag: 'read-heads',
      label: 'Read heads',
      help: 'memory reads per step',
      ...MANN,
    }),
    controllerSize: setting(positiveInt.default(200), {
      flag: 'controller-size',
      label: 'Controller size',
      help: 'LSTM units of the controller',
      unit: 'units',
      ...MANN,
    }),
    gamma: setting(z.union([z.number().gt(0).lt(1), z.literal('learned')]).default(0.95), {
      flag: 'gamma',
      label: 'Usage decay γ',
      help: 'between 0 and 1, or “learned” (a parameter that starts at 0.95)',
      syntax: 'numberOrLearned',
      ...MANN,
    }),
    batch: setting(positiveInt.default(16), {
      flag: 'sequences',
      label: 'Sequences per task',
      help: 'sequences run as one batch per task (the paper: 16)',
      unit: 'sequences',
      ...MANN,
    }),
    shuffledLabels: setting(z.boolean().default(false), {
      flag: 'shuffled-labels',
      label: 'Shuffled labels',
      help: 'a control: every label drawn at random, so accuracy must stay at chance',
      ...MANN,
    }),
  })
  .strict();
export type MannConfig = z.infer<typeof MannConfigSchema>;

/** Reptile (Nichol, Achiam, Schulman 2018): θ ← θ + ε(θ̃ − θ) after k SGD steps on a task. */
export const ReptileConfigSchema = z
  .object({
    // The paper's ε = 1 is annealed to 0 over training; held constant, 1 oscillates (51% on the
    // glyphs demo, peaking early) where 0.1 settles (65%): docs/results.md.
    stepSize: setting(positiveNumber.max(1).default(0.1), {
      flag: 'reptile-step',
      label: 'Reptile step size ε',
      help: 'how far θ moves toward the adapted weights each iteration (the paper: 1, annealed to 0)',
      group: 'Reptile',
      learners: ['reptile'],
    }),
  })
  .strict();

export const SplitConfigSchema = z
  .object({
    /** Fractions of the dataset's classes for meta-train / meta-validation / meta-test. */
    train: fraction.default(0.6),
    val: fraction.default(0.2),
    test: fraction.default(0.2),
  })
  .strict()
  .refine((s) => Math.abs(s.train + s.val + s.test - 1) < 1e-6, {
    message: 'train + val + test must sum to 1',
  })
  .refine((s) => s.train > 0 && s.test > 0, {
    message: 'train and test must each get some classes',
  });
export type SplitConfig = z.infer<typeof SplitConfigSchema>;

const TASKS = 'Tasks';
const OPTIMISATION = 'Optimisation';
const CHECKS = 'Validation, test and checkpoints';

export const ExperimentConfigSchema = z
  .object({
    learner: setting(z.enum(LEARNERS).default('maml'), {
      flag: 'learner',
      label: 'Learner',
      help: 'the meta-learner',
      group: 'Learner and data',
      formOwnField: true,
    }),
    space: setting(z.enum(SPACES).default('pixels'), {
      flag: 'space',
      label: 'Space',
      help: "where the meta-learner works: raw pixels (conv4), or DEML's concept space",
      group: 'Learner and data',
      choices: { pixels: 'raw pixels (conv4)', concept: 'concept space (DEML: generator + discriminator)' },
    }),
    ways: setting(positiveInt.min(2).default(5), {
      flag: 'ways',
      label: 'Ways',
      help: 'classes per task (N)',
      unit: 'classes',
      group: TASKS,
    }),
    shots: setting(positiveInt.default(1), {
      flag: 'shots',
      label: 'Shots',
      help: 'support images per class (K)',
      unit: 'images per class',
      group: TASKS,
    }),
    queries: setting(positiveInt.default(15), {
      flag: 'queries',
      label: 'Queries',
      help: 'query images per class, scored after adaptation',
      unit: 'images per class',
      group: TASKS,
    }),
    metaBatch: setting(positiveInt.default(4), {
      flag: 'meta-batch',
      label: 'Meta-batch',
      help: 'tasks per outer update (MAML on Omniglot: 32; 4 keeps a CPU run affordable)',
      unit: 'tasks',
      group: OPTIMISATION,
    }),
    iterations: setting(nonNegativeInt.default(1000), {
      flag: 'iterations',
      label: 'Iterations',
      help: 'outer updates of meta-training',
      unit: 'iterations',
      group: OPTIMISATION,
    }),
    innerSteps: setting(positiveInt.default(1), {
      flag: 'inner-steps',
      label: 'Inner steps',
      help: 'adaptation steps on a task during meta-training',
      unit: 'steps',
      group: OPTIMISATION,
    }),
    testInnerSteps: setting(positiveInt.default(3), {
      flag: 'test-inner-steps',
      label: 'Test inner steps',
      help: 'adaptation steps at validation and meta-test (MAML: 3 on Omniglot 5-way)',
      unit: 'steps',
      group: OPTIMISATION,
    }),
    innerLr: setting(positiveNumber.default(0.4), {
      flag: 'inner-lr',
      label: 'Inner learning rate α',
      help: 'step size of the inner loop (Meta-SGD learns its own)',
      group: OPTIMISATION,
    }),
    metaLr: setting(positiveNumber.default(0.001), {
      flag: 'meta-lr',
      label: 'Meta learning rate β',
      help: "Adam's rate for the outer loop",
      group: OPTIMISATION,
    }),
    metaSgdInit: setting(
      z
        .tuple([positiveNumber, positiveNumber])
        .refine(([lo, hi]) => lo <= hi, { message: 'the low end must not exceed the high end' })
        .default([0.005, 0.1]),
      {
        flag: 'meta-sgd-init',
        label: "Meta-SGD's initial rates",
        help: 'per-parameter inner rates start uniform in [low, high]',
        group: OPTIMISATION,
        learners: ['metasgd'],
        syntax: 'pair',
      },
    ),
    evalTasks: setting(positiveInt.default(600), {
      flag: 'eval-tasks',
      label: 'Test tasks',
      help: 'meta-test tasks of the final evaluation (600 is the common standard)',
      unit: 'tasks',
      group: CHECKS,
    }),
    valEvery: setting(nonNegativeInt.default(500), {
      flag: 'val-every',
      label: 'Validate every',
      help: 'iterations between validations (0: never)',
      unit: 'iterations',
      group: CHECKS,
    }),
    valTasks: setting(positiveInt.default(100), {
      flag: 'val-tasks',
      label: 'Validation tasks',
      help: 'meta-validation tasks per validation',
      unit: 'tasks',
      group: CHECKS,
    }),
    checkpointEvery: setting(nonNegativeInt.default(500), {
      flag: 'checkpoint-every',
      label: 'Checkpoint every',
      help: 'iterations between checkpoints (0: only at the end)',
      unit: 'iterations',
      group: CHECKS,
    }),
    checkpointsKept: setting(nonNegativeInt.default(2), {
      flag: 'checkpoints-kept',
      label: 'Checkpoints kept',
      help: 'newest checkpoints kept on disk, to resume, evaluate or project from (0: every one)',
      unit: 'checkpoints',
      group: CHECKS,
    }),
    seed: setting(nonNegativeInt.max(2 ** 32 - 1).default(0), {
      flag: 'seed',
      label: 'Seed',
      help: 'seeds the initialisation and the meta-training tasks',
      group: 'Learner and data',
      formOwnField: true,
    }),
    /**
     * Kept apart from `seed` so every run on a dataset (any learner, any seed) is scored on the
     * same classes and the same episodes: seeds group cleanly and learners can be compared task
     * by task.
     */
    evalSeed: setting(nonNegativeInt.max(2 ** 32 - 1).default(0), {
      flag: 'eval-seed',
      label: 'Evaluation seed',
      help: 'seeds the class split and the validation and test tasks, the same for every run',
      group: CHECKS,
    }),
    backend: setting(z.enum(BACKENDS).default('auto'), {
      flag: 'backend',
      label: 'Backend',
      help: 'where tensors are computed (auto: a GPU when there is one)',
      group: 'Learner and data',
      formOwnField: true,
    }),
    data: setting(z.string().min(1).default('glyphs'), {
      flag: 'data',
      label: 'Dataset',
      help: 'glyphs (embedded), synthetic[:classes=N,…] (in memory) or an imported dataset’s name',
      group: 'Learner and data',
    }),
    split: setting(SplitConfigSchema.prefault({}), {
      flag: 'split-fractions',
      label: 'Class split',
      help: 'train, val, test fractions of the classes, where the dataset stores no split of its own',
      group: 'Learner and data',
      syntax: 'fractions',
    }),
    model: ModelConfigSchema.prefault({}),
    concept: ConceptConfigSchema.prefault({}),
    siamese: SiameseConfigSchema.prefault({}),
    mann: MannConfigSchema.prefault({}),
    reptile: ReptileConfigSchema.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Least-recently-used writes take one slot per step: a memory smaller than a sequence
    // overwrites the bindings of its own episode before the episode ends.
    const steps = c.ways * c.mann.instances;
    if (c.learner === 'mann' && c.mann.memorySlots < steps) {
      ctx.addIssue({
        code: 'custom',
        path: ['mann', 'memorySlots'],
        message: `${c.mann.memorySlots} slots cannot hold an episode of ${c.ways} classes × ${c.mann.instances} instances (${steps} writes); give at least ${steps}`,
      });
    }
  });

export type ExperimentConfig = z.infer<typeof ExperimentConfigSchema>;
export type ExperimentConfigInput = z.input<typeof ExperimentConfigSchema>;

/** One problem with a config, naming the field as a dotted path ("model.filters"). */
export interface ConfigIssue {
  field: string;
  message: string;
}

/** Every training setting, described once (settings.ts), with its default. */
export const SETTINGS: readonly SettingDescription[] = describeSettings(
  ExperimentConfigSchema,
  ExperimentConfigSchema.parse({}),
);

/** Fields a config problem may name that are not settings, as a person reads them. */
const OTHER_FIELDS: Readonly<Record<string, string>> = {
  '(config)': 'The config',
  episodeFile: 'Episode file',
  step: 'Checkpoint',
  from: 'Checkpoint',
  threads: 'Threads',
};

/** A config field ("concept.generator.stages.1") as its setting's label ("Generator stages, item 2"). */
export function settingLabel(field: string): string {
  return fieldLabel(SETTINGS, field, OTHER_FIELDS);
}

/** One problem as a sentence that names the setting by its label. */
export function describeConfigIssue(issue: ConfigIssue): string {
  return `${settingLabel(issue.field)}: ${issue.message}`;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(
      issues.length === 1
        ? describeConfigIssue(issues[0]!)
        : `the config has ${issues.length} problems:\n${issues.map((i) => `  - ${describeConfigIssue(i)}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Validate the shape and ranges of a config (no dataset needed) and fill in defaults. */
export function parseExperimentConfig(input: unknown): ExperimentConfig {
  const result = ExperimentConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)',
      message: describeIssue(issue),
    })),
  );
}

/**
 * An issue as a sentence a user reads under the field ("must be at least 2"), not the schema
 * library's default text ("Too small: expected number to be >=2"). Messages written in the
 * schema itself (which never start like zod's defaults) are kept as they are.
 */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const fallback = !/^(Too (small|big)|Invalid (input|option|type|value)|Expected )/.test(issue.message);
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (fallback) return issue.message;
  const bound = (v: number | bigint) => (typeof v === 'bigint' ? v.toString() : String(v));
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum) <= 1
          ? 'must not be empty'
          : `needs at least ${bound(issue.minimum)} characters`;
      if (issue.origin === 'array') return `needs at least ${bound(issue.minimum)} item(s)`;
      return issue.inclusive
        ? `must be at least ${bound(issue.minimum)}`
        : `must be greater than ${bound(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${bound(issue.maximum)} characters`;
      if (issue.origin === 'array') return `takes at most ${bound(issue.maximum)} item(s)`;
      return issue.inclusive
        ? `must be at most ${bound(issue.maximum)}`
        : `must be less than ${bound(issue.maximum)}`;
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be a whole number';
      if (issue.expected === 'number') return 'must be a number';
      if (issue.expected === 'string') return 'must be text';
      if (issue.expected === 'boolean') return 'must be yes or no';
      return `must be ${issue.expected === 'object' ? 'a group of settings' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${bound(issue.divisor as number)}`;
    default:
      return issue.message;
  }
}
