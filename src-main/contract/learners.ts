/**
 * The catalogue of learners the workbench trains: what each one is, for every part that must
 * know without running it (the config schema, the form, the results table, the CLI's help, the
 * docs). Plain data, so the renderer can read it; how each one trains lives in its module in
 * engine/learners/, listed by engine/learners/registry.ts, whose type requires one for every
 * entry here.
 *
 * Adding a learner: one entry here, one module in engine/learners/, one line in the registry.
 */

/** The survey's three families of few-shot learners. */
export type LearnerFamily = 'optimisation' | 'metric' | 'model';

export interface LearnerInfo {
  /** Its name in forms and lists. */
  label: string;
  /** Its name in results tables. */
  short: string;
  family: LearnerFamily;
  /** The paper, for the docs. */
  paper: string;
  /**
   * How its meta-gradient treats the inner loop: through it (second), with the inner gradients
   * as constants (first), or with no inner loop at all (none: metric and model-based learners).
   */
  order: 'second' | 'first' | 'none';
  /**
   * Takes inner steps on the support set at validation and test time. Metric learners adapt
   * nothing: they compare query embeddings with the support's; a MANN binds labels in its memory.
   */
  adaptsAtTestTime: boolean;
  /** Learns its own inner-loop rates (Meta-SGD), so the fixed α does not apply. */
  learnsInnerRates: boolean;
  /**
   * Steps its own parameters with a rate of its own (Reptile's ε), not Adam's β: on the pixels,
   * where there is no G or D, β is then never read.
   */
  ownOuterStep?: boolean;
  /**
   * What a task is: an N-way K-shot episode (support and query sets), or, for a model-based
   * learner, sequences of N classes × M presentations, each step's label given at the next step.
   */
  tasks: 'episodes' | 'sequences';
  /** Its only parameters are its embedding's (nothing of its own to learn on a frozen G). */
  embeddingOnly: boolean;
  /**
   * The config fields or sections that are its own ("mann", "metaSgdInit"): shown and compared
   * only for it.
   */
  settings: readonly string[];
  /**
   * The N it can be evaluated at: any (metric learners compare with the support set); another N
   * with a new output layer that only test inner steps can learn; or at most the N it was
   * trained with (a MANN's one-hot label input).
   */
  evaluationWays: 'any' | 'new-head' | 'at-most-trained';
  /**
   * What the memory estimate (engine/memoryEstimate.ts) needs to know of it, here rather than in
   * its engine module so that the estimate runs where TensorFlow.js is never loaded (the service,
   * the CLI's refusals):
   * - innerLoop: where a second-order inner loop runs, through the whole network (MAML on the
   *   pixels keeps a few activation maps per support image and step) or through a head on
   *   features computed once (the concept space, ANIL);
   * - onPixels: the network it runs on the pixels, conv4 or a MANN's controller on the image.
   */
  memory: { innerLoop: 'network' | 'head'; onPixels: 'conv4' | 'mann' };
}

type Optimisation = Pick<LearnerInfo, 'label' | 'short' | 'paper' | 'order'> & Partial<LearnerInfo>;

function optimisation(info: Optimisation): LearnerInfo {
  return {
    family: 'optimisation',
    adaptsAtTestTime: true,
    learnsInnerRates: false,
    tasks: 'episodes',
    embeddingOnly: false,
    settings: [],
    evaluationWays: 'new-head',
    memory: { innerLoop: 'network', onPixels: 'conv4' },
    ...info,
  };
}

function metric(
  info: Pick<LearnerInfo, 'label' | 'short' | 'paper' | 'embeddingOnly' | 'settings'>,
): LearnerInfo {
  return {
    family: 'metric',
    order: 'none',
    adaptsAtTestTime: false,
    learnsInnerRates: false,
    tasks: 'episodes',
    evaluationWays: 'any',
    memory: { innerLoop: 'network', onPixels: 'conv4' },
    ...info,
  };
}

export const LEARNER_INFO = {
  maml: optimisation({
    label: 'MAML (second order)',
    short: 'MAML',
    paper: 'Finn, Abbeel, Levine 2017',
    order: 'second',
  }),
  fomaml: optimisation({
    label: 'first-order MAML',
    short: 'FOMAML',
    paper: 'Finn, Abbeel, Levine 2017',
    order: 'first',
  }),
  metasgd: optimisation({
    label: 'Meta-SGD',
    short: 'Meta-SGD',
    paper: 'Li, Zhou, Chen, Li 2017',
    order: 'second',
    learnsInnerRates: true,
    settings: ['metaSgdInit'],
  }),
  protonet: metric({
    label: 'Prototypical Networks',
    short: 'ProtoNet',
    paper: 'Snell, Swersky, Zemel 2017',
    embeddingOnly: true,
    settings: [],
  }),
  matchingnet: metric({
    label: 'Matching Networks',
    short: 'MatchingNet',
    paper: 'Vinyals et al. 2016',
    embeddingOnly: true,
    settings: [],
  }),
  // Its distance weights are its own.
  siamese: metric({
    label: 'Siamese network',
    short: 'Siamese',
    paper: 'Koch, Zemel, Salakhutdinov 2015',
    embeddingOnly: false,
    settings: ['siamese'],
  }),
  mann: {
    label: 'MANN (memory-augmented)',
    short: 'MANN',
    family: 'model',
    paper: 'Santoro et al. 2016',
    order: 'none',
    adaptsAtTestTime: false,
    learnsInnerRates: false,
    tasks: 'sequences',
    embeddingOnly: false,
    settings: ['mann'],
    evaluationWays: 'at-most-trained',
    memory: { innerLoop: 'network', onPixels: 'mann' },
  },
  reptile: optimisation({
    label: 'Reptile',
    short: 'Reptile',
    paper: 'Nichol, Achiam, Schulman 2018',
    order: 'first',
    settings: ['reptile'],
    ownOuterStep: true,
  }),
  anil: optimisation({
    label: 'ANIL (head-only MAML)',
    short: 'ANIL',
    paper: 'Raghu, Raghu, Bengio, Vinyals 2020',
    order: 'second',
    // The inner loop runs through the head only, on features computed once per task.
    memory: { innerLoop: 'head', onPixels: 'conv4' },
  }),
} as const satisfies Record<string, LearnerInfo>;

export type LearnerName = keyof typeof LEARNER_INFO;

/** Every learner, in the catalogue's order (forms, help, docs). */
export const LEARNERS = Object.keys(LEARNER_INFO) as [LearnerName, ...LearnerName[]];

/** One learner's entry, typed as the general shape (the catalogue's literal types are narrower). */
export function learnerInfo(learner: LearnerName): LearnerInfo {
  return LEARNER_INFO[learner];
}

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
  const info = learnerInfo(learner);
  const unused: string[] = [];
  // Every other learner's own settings, in the catalogue's order.
  for (const other of LEARNERS) {
    for (const s of learnerInfo(other).settings)
      if (!info.settings.includes(s) && !unused.includes(s)) unused.push(s);
  }
  // Meta-SGD's rates start from metaSgdInit, not α.
  if (!info.adaptsAtTestTime || info.learnsInnerRates) unused.push('innerLr');
  if (!info.adaptsAtTestTime) unused.push('innerSteps', 'testInnerSteps');
  // A MANN's tasks are sequences of N classes × M presentations; on pixels it reads the image.
  if (info.tasks === 'sequences') unused.push('shots', 'queries');
  if (space === 'concept' || info.tasks === 'sequences') unused.push('model');
  if (space === 'pixels') unused.push('concept');
  // Reptile's θ moves by ε; β would only drive G and D, which the pixels have not.
  if (info.ownOuterStep && space === 'pixels') unused.push('metaLr');
  return unused;
}

/**
 * Does a run with this learner and space read the setting at `path`? The one answer for the
 * new-experiment form (it shows a setting when one of the chosen learners reads it), the
 * settings reference (docs/config.md) and comparisons (unusedSettings): a Meta-SGD is not offered
 * an α it never reads, nor a MANN on pixels a conv4 it does not have.
 */
export function readsSetting(
  path: string,
  config: { learner: LearnerName; space: 'pixels' | 'concept' },
): boolean {
  return !coveredBy(path, unusedSettings(config));
}

/** Is a flattened config key ("mann.batch") one of these fields or inside one of these sections? */
export function coveredBy(key: string, fields: readonly string[]): boolean {
  return fields.some((f) => key === f || key.startsWith(`${f}.`));
}
