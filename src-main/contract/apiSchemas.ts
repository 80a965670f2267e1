/**
 * The contract's argument schemas, checked by the service before any handler runs. The argument
 * types of api.ts are inferred from these schemas, and a compile-time check there holds every
 * channel's schema to exactly the parameters DemlApi declares: the two cannot drift apart. This
 * file knows nothing of api.ts (the contract is inferred from the schemas, never the other way).
 */
import { z } from 'zod';
import { executorChoiceSchema } from './executor';
import { type ExperimentConfigInput, SPACES } from './config';
import { DATASET_NAME_PATTERN, DATASET_NAME_RULE, IMPORT_FORMATS } from './datasets';
import { EvaluationRequestSchema } from './evaluation';
import { LEARNERS } from './learners';
import { ProjectionRequestSchema } from './projection';
import { RUN_STATUSES } from './records';
import { SweepInputSchema } from './sweep';

const id = z.number().int().positive();
const learner = z.enum(LEARNERS);
const seeds = z.array(z.number().int().nonnegative()).min(1).max(100);
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

export const ExperimentFilterSchema = z
  .object({
    search: z.string().max(200).optional(),
    tag: z.string().max(100).optional(),
    learner: learner.optional(),
    status: z.enum(RUN_STATUSES).optional(),
  })
  .strict();

export const RunFilterSchema = z
  .object({
    experimentId: id.optional(),
    /** A sweep's trials and final runs. */
    sweepId: id.optional(),
    status: z.enum(RUN_STATUSES).optional(),
    learner: learner.optional(),
    space: z.enum(SPACES).optional(),
    /** The meta-training dataset. */
    data: z.string().min(1).max(200).optional(),
    /** A run tag (runs:annotate). */
    tag: z.string().min(1).max(50).optional(),
    /** Meta-test accuracy range, as fractions; runs without a meta-test are left out. */
    minAccuracy: z.number().min(0).max(1).optional(),
    maxAccuracy: z.number().min(0).max(1).optional(),
  })
  .strict();

export const CreateExperimentInputSchema = z
  .object({
    name: z.string().trim().min(1, 'give the experiment a name').max(200),
    description: z.string().max(10_000).optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
    /** The base config; each run overrides its learner and seed. Checked by parseExperimentConfig. */
    config: z.custom<ExperimentConfigInput>(isObject, 'the config must be an object'),
    /** One run per learner × seed (default: the config's learner and seed). */
    learners: z.array(learner).min(1).max(LEARNERS.length).optional(),
    seeds: seeds.optional(),
    /**
     * Cells of a comparison (e.g. a preset's MAML/Meta-SGD × pixels/concept × 1/5-shot), each a
     * partial config over the base; one run per variant × seed. Replaces `learners`.
     */
    variants: z.array(z.record(z.string(), z.unknown())).min(1).max(64).optional(),
    /** Where the runs train (default: the workbench's executor, else the local queue). */
    executor: executorChoiceSchema.optional(),
  })
  .strict();

export const LaunchRunsInputSchema = z
  .object({
    learners: z.array(learner).min(1).optional(),
    seeds: seeds.optional(),
    executor: executorChoiceSchema.optional(),
  })
  .strict();

export const RunAnnotationSchema = z
  .object({
    notes: z.string().max(20_000).optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
  })
  .strict();

export const MetricQuerySchema = z
  .object({
    keys: z.array(z.string().max(100)).max(50).optional(),
    /** Only points after this step (live charts fetch what they do not have yet). */
    afterStep: z.number().int().optional(),
  })
  .strict();

export const SampleOptionsSchema = z
  .object({
    classes: z.number().int().min(1).max(64).optional(),
    perClass: z.number().int().min(1).max(20).optional(),
  })
  .strict();

export const ImportDatasetInputSchema = z
  .object({
    format: z.enum(IMPORT_FORMATS),
    /** Name in the data directory. */
    name: z.string().regex(DATASET_NAME_PATTERN, DATASET_NAME_RULE),
    /** Paths on the machine that runs the workbench: Omniglot zips or folders; one root folder otherwise. */
    paths: z.array(z.string().min(1).max(4096)).min(1).max(16),
    size: z.number().int().min(8).max(512).optional(),
    channels: z.union([z.literal(1), z.literal(3)]).optional(),
    rotations: z.boolean().optional(),
  })
  .strict();

export type ExperimentFilter = z.infer<typeof ExperimentFilterSchema>;
export type RunFilter = z.infer<typeof RunFilterSchema>;
export type CreateExperimentInput = z.infer<typeof CreateExperimentInputSchema>;
export type LaunchRunsInput = z.infer<typeof LaunchRunsInputSchema>;
export type MetricQuery = z.infer<typeof MetricQuerySchema>;
export type RunAnnotation = z.infer<typeof RunAnnotationSchema>;
export type SampleOptions = z.infer<typeof SampleOptionsSchema>;
export type ImportDatasetInput = z.infer<typeof ImportDatasetInputSchema>;
export type { EvaluationRequest } from './evaluation';
export type { ProjectionRequest } from './projection';

/**
 * Argument schemas per channel (the config itself is checked by parseExperimentConfig); api.ts
 * holds the keys to DemlApi's channels and each schema to its channel's parameters.
 */
export const ARGUMENTS = {
  'app:info': z.tuple([]),
  'experiments:list': z.tuple([ExperimentFilterSchema.optional()]),
  'experiments:get': z.tuple([id]),
  'experiments:create': z.tuple([CreateExperimentInputSchema]),
  'experiments:duplicate': z.tuple([id]),
  'experiments:delete': z.tuple([id]),
  'runs:list': z.tuple([RunFilterSchema.optional()]),
  'runs:get': z.tuple([id]),
  'runs:metrics': z.tuple([id, MetricQuerySchema.optional()]),
  'runs:log': z.tuple([id]),
  'runs:launch': z.tuple([id, LaunchRunsInputSchema.optional()]),
  'runs:cancel': z.tuple([id]),
  'runs:resume': z.tuple([
    id,
    z
      .object({
        from: z.number().int().nonnegative().optional(),
        executor: z.union([executorChoiceSchema, z.literal('default')]).optional(),
      })
      .strict()
      .optional(),
  ]),
  'datasets:list': z.tuple([]),
  'datasets:samples': z.tuple([z.string().min(1).max(200), SampleOptionsSchema.optional()]),
  'datasets:import': z.tuple([ImportDatasetInputSchema]),
  'datasets:cancelImport': z.tuple([z.string().min(1).max(200)]),
  'runs:annotate': z.tuple([id, RunAnnotationSchema]),
  'runs:compare': z.tuple([z.array(id).min(1).max(500), z.array(z.string().max(100)).max(20).optional()]),
  'runs:evaluate': z.tuple([id, EvaluationRequestSchema]),
  'evaluations:cancel': z.tuple([id]),
  'runs:delete': z.tuple([id]),
  'runs:episode': z.tuple([
    id,
    z
      .object({
        index: z.number().int().nonnegative().max(100_000).optional(),
        step: z.number().int().nonnegative().optional(),
      })
      .strict()
      .optional(),
  ]),
  'runs:columns': z.tuple([z.array(id).max(5000), z.array(z.string().min(1).max(200)).max(64)]),
  'sweeps:create': z.tuple([SweepInputSchema]),
  'sweeps:list': z.tuple([]),
  'sweeps:get': z.tuple([id]),
  'sweeps:cancel': z.tuple([id]),
  'runs:project': z.tuple([id, ProjectionRequestSchema]),
  'projections:list': z.tuple([id]),
  'projections:get': z.tuple([id]),
  'projections:cancel': z.tuple([id]),
} satisfies Record<string, z.ZodType<unknown[]>>;
