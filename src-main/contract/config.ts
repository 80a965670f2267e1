/**
 * The experiment configuration: one schema shared by the CLI, the service, the renderer's
 * inline validation and the engine. No runtime-specific imports here (docs/DESIGN.md).
 *
 * Defaults follow MAML's Omniglot 5-way setup (docs/SCIENCE.md) except the meta-batch (4 instead of
 * 32), which keeps a CPU run affordable; every default is an option.
 */
import { z } from 'zod';
import { LEARNERS } from './learners';

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

export const ModelConfigSchema = z
  .object({
    /** The instance-space network: conv4 (Finn et al.). */
    kind: z.literal('conv4').default('conv4'),
    /** Filters per conv block (Omniglot 64, miniImageNet 32). */
    filters: positiveInt.default(64),
    /** Number of conv blocks. */
    blocks: positiveInt.max(8).default(4),
    /** Non-linearity after batch norm; tanh / softplus make the meta-loss smooth (gradient checks). */
    activation: z.enum(['relu', 'tanh', 'softplus']).default('relu'),
    /** 2×2 max-pool after each block, or stride-2 convolutions (MAML's Omniglot code). */
    downsample: z.enum(['maxpool', 'stride']).default('maxpool'),
  })
  .strict();
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const GeneratorConfigSchema = z
  .object({
    /** Basic blocks per stage: [1,1,1,1] is ResNet-10-like, [2,2,2,2] ResNet-18-like. */
    stages: z.array(positiveInt.max(8)).min(1).max(5).default([1, 1, 1, 1]),
    /** Channels of the first stage, doubled by each later stage. */
    width: positiveInt.default(16),
    /** Size of the concept vector G(x) (the paper's ResNet-50 gives 2048). */
    conceptSize: positiveInt.default(64),
    preActivation: z.boolean().default(false),
  })
  .strict();

const GENERATOR_DEFAULTS = { stages: [1, 1, 1, 1], width: 16, conceptSize: 64, preActivation: false };

/** Deep meta-learning in the concept space (Zhou, Wu, Li 2018): G, D and M trained jointly. */
export const ConceptConfigSchema = z
  .object({
    generator: GeneratorConfigSchema.default(GENERATOR_DEFAULTS),
    /** Hidden sizes of M's MLP on G(x) for MAML / Meta-SGD (the paper: 1024 → 512). */
    head: z.array(positiveInt).max(4).default([128, 64]),
    /** λ: weight of the discrimination loss (the paper leaves it open; default 1). */
    lambda: z.number().min(0).finite().default(1),
    /** The external labelled dataset for the concept discriminator D. */
    external: z.string().min(1).default('glyphs-external'),
    /** External images per iteration (the paper: 64). */
    externalBatch: positiveInt.default(64),
    /** Adam's learning rate for G (and D); the meta-learning rate when unset. */
    generatorLr: positiveNumber.optional(),
    /** "joint": G trained with D and M throughout; "frozen": G and D pretrained, then G fixed. */
    generatorMode: z.enum(['joint', 'frozen']).default('joint'),
    /** Iterations of G + D on the external data before meta-training starts. */
    pretrainIterations: nonNegativeInt.default(0),
  })
  .strict()
  .refine((c) => c.generatorMode !== 'frozen' || c.pretrainIterations > 0, {
    message: 'a frozen generator needs pretrainIterations > 0 (it would stay random)',
    path: ['pretrainIterations'],
  });
export type ConceptConfig = z.infer<typeof ConceptConfigSchema>;

/** Siamese networks (Koch, Zemel, Salakhutdinov 2015): a learned weighted L1 on twin embeddings. */
export const SiameseConfigSchema = z
  .object({
    /** Same-class pairs among those drawn per task (the rest are different-class pairs). */
    positiveFraction: z
      .number()
      .gt(0, 'must be between 0 and 1 (exclusive): a task needs both kinds of pair')
      .lt(1, 'must be between 0 and 1 (exclusive): a task needs both kinds of pair')
      .default(0.5),
    /** Pairs drawn per task from its support and query images (with the episode stream's seed). */
    pairs: positiveInt.max(4096).default(64),
    /** How a query's similarities to a class's K support images become its score for the class. */
    aggregate: z.enum(['mean', 'max']).default('mean'),
  })
  .strict();
export type SiameseConfig = z.infer<typeof SiameseConfigSchema>;

/**
 * MANN (Santoro et al. 2016): an LSTM controller with an external memory read by cosine
 * similarity and written by least-recently-used access. Its tasks are sequences of `ways`
 * classes × `instances` presentations, each image shown with the previous step's label.
 */
export const MannConfigSchema = z
  .object({
    /** Presentations of each class in a sequence (M; the paper: 10). */
    instances: positiveInt
      .min(2, 'must be at least 2: the first presentation of a class is a guess')
      .default(10),
    memorySlots: positiveInt.default(128),
    slotSize: positiveInt.default(40),
    readHeads: positiveInt.default(4),
    /** LSTM units of the controller. */
    controllerSize: positiveInt.default(200),
    /** Usage decay γ, or "learned" (a sigmoid-squashed parameter that starts at 0.95). */
    gamma: z.union([z.number().gt(0).lt(1), z.literal('learned')]).default(0.95),
    /** Sequences in one task, run as one batch (the paper: 16). */
    batch: positiveInt.default(16),
    /**
     * A control: every step's label drawn at random, unrelated to its image's class. There is
     * nothing to bind, so accuracy must stay at chance; anything above it would be a leak.
     */
    shuffledLabels: z.boolean().default(false),
  })
  .strict();
export type MannConfig = z.infer<typeof MannConfigSchema>;

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

export const ExperimentConfigSchema = z
  .object({
    learner: z.enum(LEARNERS).default('maml'),
    space: z.enum(SPACES).default('pixels'),
    ways: positiveInt.min(2).default(5),
    shots: positiveInt.default(1),
    queries: positiveInt.default(15),
    metaBatch: positiveInt.default(4),
    iterations: nonNegativeInt.default(1000),
    /** Inner-loop steps during meta-training. */
    innerSteps: positiveInt.default(1),
    /** Inner-loop steps at validation / meta-test time (MAML: 3 on Omniglot 5-way). */
    testInnerSteps: positiveInt.default(3),
    /** α: the inner-loop learning rate of MAML (Meta-SGD learns its own, starting from metaSgdInit). */
    innerLr: positiveNumber.default(0.4),
    /** β: Adam's learning rate for the outer loop. */
    metaLr: positiveNumber.default(0.001),
    /** Meta-SGD: per-parameter rates start uniform in [low, high]. */
    metaSgdInit: z
      .tuple([positiveNumber, positiveNumber])
      .refine(([lo, hi]) => lo <= hi, { message: 'low must be ≤ high' })
      .default([0.005, 0.1]),
    /** Meta-test tasks for the final evaluation (600 is the common standard). */
    evalTasks: positiveInt.default(600),
    /** Validate every N iterations (0: never). */
    valEvery: nonNegativeInt.default(500),
    valTasks: positiveInt.default(100),
    /** Save a checkpoint every N iterations (0: only at the end) when a directory is given. */
    checkpointEvery: nonNegativeInt.default(500),
    /** Seeds parameter initialisation and the meta-training episodes. */
    seed: nonNegativeInt.max(2 ** 32 - 1).default(0),
    /**
     * Seeds the class split and the validation / meta-test episodes. Kept apart from `seed` so
     * every run on a dataset (any learner, any seed) is scored on the same classes and the same
     * episodes: seeds group cleanly and learners can be compared task by task.
     */
    evalSeed: nonNegativeInt.max(2 ** 32 - 1).default(0),
    backend: z.enum(BACKENDS).default('auto'),
    /**
     * Dataset: "glyphs" (the embedded default, generated on first use), "synthetic[:options]"
     * (small, in memory) or the name of a dataset imported into the data directory.
     */
    data: z.string().min(1).default('glyphs'),
    split: SplitConfigSchema.default({ train: 0.6, val: 0.2, test: 0.2 }),
    model: ModelConfigSchema.default({
      kind: 'conv4',
      filters: 64,
      blocks: 4,
      activation: 'relu',
      downsample: 'maxpool',
    }),
    /** Used when space is "concept". */
    concept: ConceptConfigSchema.default({
      generator: GENERATOR_DEFAULTS,
      head: [128, 64],
      lambda: 1,
      external: 'glyphs-external',
      externalBatch: 64,
      generatorMode: 'joint',
      pretrainIterations: 0,
    }),
    /** Used by the Siamese learner. */
    siamese: SiameseConfigSchema.default({ positiveFraction: 0.5, pairs: 64, aggregate: 'mean' }),
    /** Used by the MANN learner. */
    mann: MannConfigSchema.default({
      instances: 10,
      memorySlots: 128,
      slotSize: 40,
      readHeads: 4,
      controllerSize: 200,
      gamma: 0.95,
      batch: 16,
      shuffledLabels: false,
    }),
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

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(
      issues.length === 1
        ? `invalid config: ${issues[0]!.field}: ${issues[0]!.message}`
        : `invalid config:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n')}`,
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
