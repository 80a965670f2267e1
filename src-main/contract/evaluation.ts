/**
 * Evaluating a trained run afterwards (`deml eval`, "Evaluate…" on a run): which checkpoint, on
 * which dataset and split, at which N-way K-shot, with how many test inner steps, on seeded
 * episodes or on the fixed episodes of an episode file. What is not asked for is the run's own.
 */
import { z } from 'zod';
import type { ExperimentConfig } from './config';

/** The class splits seeded episodes are drawn from. */
export const EVALUATION_SPLITS = ['train', 'val', 'test'] as const;
export type EvaluationSplit = (typeof EVALUATION_SPLITS)[number];

const count = (max: number) => z.number().int().positive().max(max);

export const EvaluationRequestSchema = z
  .object({
    /** The run's checkpoint at this iteration; its newest when omitted. */
    step: z.number().int().nonnegative().optional(),
    /** The dataset (a `data` reference); the run's own when omitted. Same image size and channels. */
    data: z.string().min(1).max(200).optional(),
    /** The class split seeded episodes are drawn from (default: meta-test). */
    split: z.enum(EVALUATION_SPLITS).optional(),
    ways: z.number().int().min(2).max(1000).optional(),
    shots: count(1000).optional(),
    queries: count(1000).optional(),
    /** Test-time inner steps (learners that adapt); the run's testInnerSteps when omitted. */
    innerSteps: z.number().int().nonnegative().max(1000).optional(),
    /** Seeded episodes (default: the run's evalTasks and evalSeed). */
    tasks: count(100_000).optional(),
    episodeSeed: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 32 - 1)
      .optional(),
    /**
     * An episode file on the workbench's machine: fixed episodes replayed exactly. It replaces
     * split, ways, shots, queries, tasks and the seed.
     */
    episodeFile: z.string().min(1).max(4096).optional(),
    /**
     * Let the episode file's image paths leave its folder (off: a file from elsewhere could make
     * an evaluation read any image on the machine).
     */
    episodePathsOutside: z.boolean().optional(),
  })
  .strict();

export type EvaluationRequest = z.infer<typeof EvaluationRequestSchema>;

/** A request with the run's own settings filled in. */
export interface EvaluationSettings {
  step: number | null;
  data: string;
  split: EvaluationSplit;
  ways: number;
  shots: number;
  queries: number;
  innerSteps: number;
  tasks: number;
  episodeSeed: number;
  episodeFile: string | null;
  episodePathsOutside: boolean;
}

export function evaluationSettings(request: EvaluationRequest, run: ExperimentConfig): EvaluationSettings {
  return {
    step: request.step ?? null,
    data: request.data ?? run.data,
    split: request.split ?? 'test',
    ways: request.ways ?? run.ways,
    shots: request.shots ?? run.shots,
    queries: request.queries ?? run.queries,
    innerSteps: request.innerSteps ?? run.testInnerSteps,
    tasks: request.tasks ?? run.evalTasks,
    episodeSeed: request.episodeSeed ?? run.evalSeed,
    episodeFile: request.episodeFile ?? null,
    episodePathsOutside: request.episodePathsOutside ?? false,
  };
}

/** "omniglot 20-way 1-shot (meta-test, 600 tasks)", for lists and logs. */
export function describeEvaluation(e: {
  dataset: string;
  split: EvaluationSplit | null;
  ways: number;
  shots: number;
  queries?: number;
  tasks: number;
  episodeFileName?: string | null;
  instances?: number | null;
}): string {
  const shots = e.instances ? `${e.instances} presentations` : e.shots > 0 ? `${e.shots}-shot` : 'K varies';
  const where = e.split
    ? { train: 'meta-train', val: 'meta-validation', test: 'meta-test' }[e.split]
    : `episodes of ${e.episodeFileName ?? 'a file'}`;
  return `${e.dataset} ${e.ways}-way ${shots} (${where}, ${e.tasks} tasks)`;
}
