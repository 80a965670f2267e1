/**
 * The learners the workbench trains, and what each one is: its family, its names in forms and in
 * tables, and whether it adapts to a task at test time. Everything that branches on "which kind
 * of learner" (the engine, the config checks, the form, the results table) reads it from here.
 */

export const LEARNERS = ['maml', 'fomaml', 'metasgd', 'protonet', 'matchingnet'] as const;
export type LearnerName = (typeof LEARNERS)[number];

/** The survey's three families of few-shot learners. */
export type LearnerFamily = 'optimisation' | 'metric' | 'model';

export interface LearnerInfo {
  /** Its name in forms and lists. */
  label: string;
  /** Its name in results tables. */
  short: string;
  family: LearnerFamily;
  /**
   * Takes inner steps on the support set at validation and test time. Metric learners adapt
   * nothing: they compare query embeddings with the support's.
   */
  adaptsAtTestTime: boolean;
}

export const LEARNER_INFO: Readonly<Record<LearnerName, LearnerInfo>> = {
  maml: { label: 'MAML (second order)', short: 'MAML', family: 'optimisation', adaptsAtTestTime: true },
  fomaml: { label: 'first-order MAML', short: 'FOMAML', family: 'optimisation', adaptsAtTestTime: true },
  metasgd: { label: 'Meta-SGD', short: 'Meta-SGD', family: 'optimisation', adaptsAtTestTime: true },
  protonet: { label: 'Prototypical Networks', short: 'ProtoNet', family: 'metric', adaptsAtTestTime: false },
  matchingnet: {
    label: 'Matching Networks',
    short: 'MatchingNet',
    family: 'metric',
    adaptsAtTestTime: false,
  },
};

export function isMetricLearner(learner: LearnerName): boolean {
  return LEARNER_INFO[learner].family === 'metric';
}
