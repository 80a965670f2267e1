/**
 * The learners the workbench trains, and what each one is: its family, its names in forms and in
 * tables, whether it adapts to a task at test time, and what its tasks are. Everything that
 * branches on "which kind of learner" (the engine, the config checks, the form, the results
 * table) reads it from here.
 */

export const LEARNERS = ['maml', 'fomaml', 'metasgd', 'protonet', 'matchingnet', 'siamese', 'mann'] as const;
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
   * nothing: they compare query embeddings with the support's; a MANN binds labels in its memory.
   */
  adaptsAtTestTime: boolean;
  /**
   * What a task is: an N-way K-shot episode (support and query sets), or, for a model-based
   * learner, sequences of N classes × M presentations, each step's label given at the next step.
   */
  tasks: 'episodes' | 'sequences';
  /** Its only parameters are its embedding's (nothing of its own to learn on a frozen G). */
  embeddingOnly: boolean;
}

function optimisation(label: string, short: string): LearnerInfo {
  return {
    label,
    short,
    family: 'optimisation',
    adaptsAtTestTime: true,
    tasks: 'episodes',
    embeddingOnly: false,
  };
}

function metric(label: string, short: string, embeddingOnly: boolean): LearnerInfo {
  return { label, short, family: 'metric', adaptsAtTestTime: false, tasks: 'episodes', embeddingOnly };
}

export const LEARNER_INFO: Readonly<Record<LearnerName, LearnerInfo>> = {
  maml: optimisation('MAML (second order)', 'MAML'),
  fomaml: optimisation('first-order MAML', 'FOMAML'),
  metasgd: optimisation('Meta-SGD', 'Meta-SGD'),
  protonet: metric('Prototypical Networks', 'ProtoNet', true),
  matchingnet: metric('Matching Networks', 'MatchingNet', true),
  // Its distance weights are its own.
  siamese: metric('Siamese network', 'Siamese', false),
  mann: {
    label: 'MANN (memory-augmented)',
    short: 'MANN',
    family: 'model',
    adaptsAtTestTime: false,
    tasks: 'sequences',
    embeddingOnly: false,
  },
};

export function isMetricLearner(learner: LearnerName): boolean {
  return LEARNER_INFO[learner].family === 'metric';
}

/** Does the learner train on sequences (MANN) rather than N-way K-shot episodes? */
export function learnsFromSequences(learner: LearnerName): boolean {
  return LEARNER_INFO[learner].tasks === 'sequences';
}

/**
 * The config fields (flattened paths, or the prefix of a section) that cannot change what a run
 * with this learner and space computes. Comparisons leave them out, so a ProtoNet is not told
 * from a MANN by "mann.batch=16", and two runs that differ only there are seeds of one cell.
 */
export function unusedSettings(config: { learner: LearnerName; space: 'pixels' | 'concept' }): string[] {
  const { learner, space } = config;
  const info = LEARNER_INFO[learner];
  const unused: string[] = [];
  if (learner !== 'siamese') unused.push('siamese');
  if (learner !== 'mann') unused.push('mann');
  if (learner !== 'metasgd') unused.push('metaSgdInit');
  // Meta-SGD's rates start from metaSgdInit, not α.
  if (!info.adaptsAtTestTime || learner === 'metasgd') unused.push('innerLr');
  if (!info.adaptsAtTestTime) unused.push('innerSteps', 'testInnerSteps');
  // A MANN's tasks are sequences of N classes × M presentations; on pixels it reads the image.
  if (info.tasks === 'sequences') unused.push('shots', 'queries');
  if (space === 'concept' || info.tasks === 'sequences') unused.push('model');
  if (space === 'pixels') unused.push('concept');
  return unused;
}

/** Is a flattened config key ("mann.batch") one of these fields or inside one of these sections? */
export function coveredBy(key: string, fields: readonly string[]): boolean {
  return fields.some((f) => key === f || key.startsWith(`${f}.`));
}
