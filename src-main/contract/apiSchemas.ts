/** Argument schemas per channel of the contract, checked by the service before any handler runs. */
import { z } from 'zod';
import type { Channel } from './api';
import { LEARNERS } from './config';
import { RUN_STATUSES } from './records';

const id = z.number().int().positive();
const learner = z.enum(LEARNERS);
const seeds = z.array(z.number().int().nonnegative()).min(1).max(100);

/** Argument schemas per channel (the config itself is checked by parseExperimentConfig). */
export const ARGUMENTS: { [C in Channel]: z.ZodType<unknown[]> } = {
  'app:info': z.tuple([]),
  'experiments:list': z.tuple([
    z
      .object({
        search: z.string().max(200).optional(),
        tag: z.string().max(100).optional(),
        learner: learner.optional(),
        status: z.enum(RUN_STATUSES).optional(),
      })
      .strict()
      .optional(),
  ]),
  'experiments:get': z.tuple([id]),
  'experiments:create': z.tuple([
    z
      .object({
        name: z.string().trim().min(1, 'give the experiment a name').max(200),
        description: z.string().max(10_000).optional(),
        tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
        config: z.record(z.string(), z.unknown()),
        learners: z.array(learner).min(1).max(LEARNERS.length).optional(),
        seeds: seeds.optional(),
        variants: z.array(z.record(z.string(), z.unknown())).min(1).max(64).optional(),
      })
      .strict(),
  ]),
  'experiments:duplicate': z.tuple([id]),
  'experiments:delete': z.tuple([id]),
  'runs:list': z.tuple([
    z
      .object({
        experimentId: id.optional(),
        status: z.enum(RUN_STATUSES).optional(),
        learner: learner.optional(),
      })
      .strict()
      .optional(),
  ]),
  'runs:get': z.tuple([id]),
  'runs:metrics': z.tuple([
    id,
    z
      .object({
        keys: z.array(z.string().max(100)).max(50).optional(),
        afterStep: z.number().int().optional(),
      })
      .strict()
      .optional(),
  ]),
  'runs:log': z.tuple([id]),
  'runs:launch': z.tuple([
    id,
    z
      .object({ learners: z.array(learner).min(1).optional(), seeds: seeds.optional() })
      .strict()
      .optional(),
  ]),
  'runs:cancel': z.tuple([id]),
  'runs:resume': z.tuple([id]),
  'datasets:list': z.tuple([]),
  'datasets:samples': z.tuple([
    z.string().min(1).max(200),
    z
      .object({
        classes: z.number().int().min(1).max(64).optional(),
        perClass: z.number().int().min(1).max(20).optional(),
      })
      .strict()
      .optional(),
  ]),
  'datasets:import': z.tuple([
    z
      .object({
        format: z.enum(['omniglot', 'folder', 'miniimagenet']),
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _ only'),
        paths: z.array(z.string().min(1).max(4096)).min(1).max(16),
        size: z.number().int().min(8).max(512).optional(),
        channels: z.union([z.literal(1), z.literal(3)]).optional(),
        rotations: z.boolean().optional(),
      })
      .strict(),
  ]),
  'runs:compare': z.tuple([z.array(id).min(1).max(500), z.array(z.string().max(100)).max(20).optional()]),
};
