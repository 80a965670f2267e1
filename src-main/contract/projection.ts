/**
 * The concept projector: what a run's embedding (G's concepts in the concept space, conv4's
 * features on the pixels, the image itself for a MANN on the pixels) makes of the images of some
 * meta-test classes at one checkpoint, as a 2-D map (PCA, or UMAP on request) and one figure of how
 * well the classes separate: the leave-one-out k-NN accuracy of the full-dimension embeddings.
 * Computed by a job (the embedding needs TensorFlow.js), stored, and shown again without work.
 */
import { z } from 'zod';
import { EVALUATION_SPLITS, type EvaluationSplit } from './evaluation';
import type { EvaluationRequestStatus } from './records';

export const PROJECTION_METHODS = ['pca', 'umap'] as const;
export type ProjectionMethod = (typeof PROJECTION_METHODS)[number];

export const ProjectionRequestSchema = z
  .object({
    /** The run's checkpoint at this iteration; its newest when omitted. */
    step: z.number().int().nonnegative().optional(),
    method: z.enum(PROJECTION_METHODS).optional(),
    /** How many classes of the split are embedded (the 10–20; fewer where the split has fewer). */
    classes: z.number().int().min(2).max(50).optional(),
    /** Images per class (each class's first ones, in the dataset's order). */
    perClass: z.number().int().min(2).max(100).optional(),
    split: z.enum(EVALUATION_SPLITS).optional(),
    /** Neighbours of the k-NN figure. */
    k: z.number().int().min(1).max(50).optional(),
    /** Which classes are drawn, and UMAP's randomness. */
    seed: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 32 - 1)
      .optional(),
  })
  .strict();

export type ProjectionRequest = z.infer<typeof ProjectionRequestSchema>;

/** A request with the defaults filled in (the step stays null for "the newest"). */
export interface ProjectionSettings {
  step: number | null;
  method: ProjectionMethod;
  classes: number;
  perClass: number;
  split: EvaluationSplit;
  k: number;
  seed: number;
}

export function projectionSettings(request: ProjectionRequest): ProjectionSettings {
  return {
    step: request.step ?? null,
    method: request.method ?? 'pca',
    classes: request.classes ?? 15,
    perClass: request.perClass ?? 20,
    split: request.split ?? 'test',
    k: request.k ?? 5,
    seed: request.seed ?? 0,
  };
}

/** What a projection job stores. Points, classes and image indices are parallel arrays. */
export interface ProjectionResult {
  /** The checkpoint's iteration. */
  step: number;
  method: ProjectionMethod;
  /** What was embedded, in words: "G's 64-d concepts", "conv4's 64-d features", "pixels (784-d)". */
  embedding: string;
  /** The full dimension of the embeddings the k-NN figure is computed on. */
  dimensions: number;
  dataset: string;
  split: EvaluationSplit;
  /** Names of the projected classes; `classOf` indexes into it. */
  classNames: string[];
  /** 2-D coordinates, one [x, y] per image. */
  points: Array<[number, number]>;
  classOf: number[];
  /** Each point's image: its index in the dataset (all classes, in the dataset's order). */
  imageIndex: number[];
  knn: { k: number; accuracy: number };
  /** The k-NN accuracy a map with no class structure gets: the share of the largest class. */
  chance: number;
  /** PCA: the share of the variance the two components explain; null for UMAP. */
  explainedVariance: number | null;
  durationMs: number;
}

export type ProjectionStatus = EvaluationRequestStatus;

export interface ProjectionRecord {
  id: number;
  runId: number;
  request: ProjectionRequest;
  status: ProjectionStatus;
  error: string | null;
  /** Null until it completed. */
  result: ProjectionResult | null;
  pid: number | null;
  heartbeat: number | null;
  queuedAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

/** A stored projection with its images (raw pixels, channels last, base64), for hover. */
export interface ProjectionView extends ProjectionRecord {
  image: { width: number; height: number; channels: number } | null;
  /** By point, in the order of `result.points`; empty when the dataset is no longer there. */
  images: string[];
}
