/**
 * The new-experiment form's state as plain data: filled from the schema's defaults, a preset, or
 * an existing experiment (Duplicate), turned into the config the service checks, and kept as a
 * draft so that leaving the page loses nothing. No Vue here: the view binds it, tests read it.
 */
import {
  type ExperimentConfig,
  ExperimentConfigSchema,
  type LearnerName,
} from '../../../src-main/contract/config';
import { differingKeys, flattenConfig } from '../../../src-main/contract/results';

/** The form's training fields, read from a parsed config. Lists and optional numbers are text. */
export function trainingFields(c: ExperimentConfig) {
  return {
    data: c.data,
    space: c.space,
    ways: c.ways,
    shots: c.shots,
    queries: c.queries,
    metaBatch: c.metaBatch,
    iterations: c.iterations,
    innerSteps: c.innerSteps,
    testInnerSteps: c.testInnerSteps,
    innerLr: c.innerLr,
    metaLr: c.metaLr,
    evalTasks: c.evalTasks,
    valEvery: c.valEvery,
    checkpointEvery: c.checkpointEvery,
    splitFractions: [c.split.train, c.split.val, c.split.test].join(', '),
    filters: c.model.filters,
    siamesePositiveFraction: c.siamese.positiveFraction,
    siamesePairs: c.siamese.pairs,
    siameseAggregate: c.siamese.aggregate,
    mannInstances: c.mann.instances,
    mannMemorySlots: c.mann.memorySlots,
    mannSlotSize: c.mann.slotSize,
    mannReadHeads: c.mann.readHeads,
    mannControllerSize: c.mann.controllerSize,
    mannBatch: c.mann.batch,
    mannGamma: String(c.mann.gamma),
    mannShuffledLabels: c.mann.shuffledLabels,
    lambda: c.concept.lambda,
    external: c.concept.external,
    externalBatch: c.concept.externalBatch,
    generatorStages: c.concept.generator.stages.join(','),
    generatorWidth: c.concept.generator.width,
    conceptSize: c.concept.generator.conceptSize,
    conceptHead: c.concept.head.join(','),
    generatorMode: c.concept.generatorMode,
    pretrainIterations: c.concept.pretrainIterations,
    generatorLr: c.concept.generatorLr == null ? '' : String(c.concept.generatorLr),
  };
}

export const DEFAULTS = ExperimentConfigSchema.parse({});

export function blankForm() {
  return {
    name: '',
    description: '',
    tags: '',
    learners: [DEFAULTS.learner] as LearnerName[],
    seeds: String(DEFAULTS.seed),
    ...trainingFields(DEFAULTS),
  };
}
export type FormState = ReturnType<typeof blankForm>;

/** A comparison's cells where they differ in more than the learner: one run per cell × seed. */
export type Variants = Array<{ label: string; config: Record<string, unknown> }> | null;

/** "1, 2,3" → [1, 2, 3]; anything else that is not a number stays NaN for the schema to name. */
function numberList(text: string): number[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
}

/** "0.6, 0.2, 0.2" → the split's fractions (NaN where one is missing, for the schema to name). */
function fractionsOf(text: string) {
  const [train = Number.NaN, val = Number.NaN, test = Number.NaN] = numberList(text);
  return { train, val, test };
}

export function seedsOf(form: FormState): number[] {
  return numberList(form.seeds);
}

/** The config the service will check, from the form (the first learner's; each run sets its own). */
export function configOf(form: FormState, backend: ExperimentConfig['backend']) {
  return {
    learner: form.learners[0] ?? 'maml',
    space: form.space,
    data: form.data,
    ways: form.ways,
    shots: form.shots,
    queries: form.queries,
    metaBatch: form.metaBatch,
    iterations: form.iterations,
    innerSteps: form.innerSteps,
    testInnerSteps: form.testInnerSteps,
    innerLr: form.innerLr,
    metaLr: form.metaLr,
    evalTasks: form.evalTasks,
    valEvery: form.valEvery,
    checkpointEvery: form.checkpointEvery,
    split: fractionsOf(form.splitFractions),
    backend,
    model: { filters: form.filters },
    siamese: {
      positiveFraction: form.siamesePositiveFraction,
      pairs: form.siamesePairs,
      aggregate: form.siameseAggregate,
    },
    mann: {
      instances: form.mannInstances,
      memorySlots: form.mannMemorySlots,
      slotSize: form.mannSlotSize,
      readHeads: form.mannReadHeads,
      controllerSize: form.mannControllerSize,
      batch: form.mannBatch,
      gamma: form.mannGamma.trim() === 'learned' ? ('learned' as const) : Number(form.mannGamma),
      shuffledLabels: form.mannShuffledLabels,
    },
    ...(form.space === 'concept'
      ? {
          concept: {
            lambda: form.lambda,
            external: form.external,
            externalBatch: form.externalBatch,
            generator: {
              stages: numberList(form.generatorStages),
              width: form.generatorWidth,
              conceptSize: form.conceptSize,
            },
            head: numberList(form.conceptHead),
            generatorMode: form.generatorMode,
            pretrainIterations: form.pretrainIterations,
            ...(form.generatorLr.trim() ? { generatorLr: Number(form.generatorLr) } : {}),
          },
        }
      : {}),
  };
}

/** Only what varies across cells goes into their variants; the form keeps the rest. */
export function variantOf(config: object, keys: readonly string[]): Record<string, unknown> {
  const flat = flattenConfig(config);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const path = key.split('.');
    let node = out;
    for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    const value = flat[key];
    // Lists were flattened to text ("1,1,1,1"); a cell must carry them as lists again.
    node[path.at(-1)!] =
      typeof value === 'string' && Array.isArray(readPath(config, path)) ? readPath(config, path) : value;
  }
  return out;
}

function readPath(config: object, path: readonly string[]): unknown {
  let node: unknown = config;
  for (const p of path) node = (node as Record<string, unknown> | undefined)?.[p];
  return node;
}

/** The settings that tell cells apart, ignoring the seed and how runs were watched. */
const NOT_A_CELL = new Set(['seed', 'backend', 'checkpointEvery', 'valEvery', 'valTasks']);

/**
 * The form that would make this experiment again (Duplicate): its fields from the first run's
 * config, its learners and seeds from its runs, and cells as variants where the runs differ in
 * more than the learner (a preset's learner × space × shots).
 */
export function formFromExperiment(
  experiment: { name: string; description: string; tags: string[]; config: ExperimentConfig },
  runConfigs: readonly ExperimentConfig[],
): { form: FormState; variants: Variants } {
  const configs = runConfigs.length ? runConfigs : [experiment.config];
  const varying = differingKeys(configs).filter((k) => !NOT_A_CELL.has(k));
  const cells = new Map<string, ExperimentConfig>();
  for (const c of configs) {
    const key = JSON.stringify(varying.map((k) => flattenConfig(c)[k]));
    if (!cells.has(key)) cells.set(key, c);
  }
  const first = configs[0]!;
  const form: FormState = {
    ...blankForm(),
    name: `${experiment.name} (copy)`,
    description: experiment.description,
    tags: experiment.tags.join(', '),
    learners: [...new Set(configs.map((c) => c.learner))],
    seeds: [...new Set(configs.map((c) => c.seed))].sort((a, b) => a - b).join(', '),
    ...trainingFields(first),
  };
  const variants: Variants = varying.some((k) => k !== 'learner')
    ? [...cells.values()].map((c) => ({
        label: varying.map((k) => `${k}=${flattenConfig(c)[k]}`).join(', '),
        config: variantOf(c, varying),
      }))
    : null;
  return { form, variants };
}

/** Where an unsent form waits while the user looks elsewhere (per browser profile, as drafts are). */
export const DRAFT_KEY = 'deml.newExperimentDraft';

export function saveDraft(storage: Storage, form: FormState, variants: Variants): void {
  try {
    storage.setItem(DRAFT_KEY, JSON.stringify({ form, variants }));
  } catch {
    // A full or disabled storage loses the draft, never the page.
  }
}

/** The saved draft, its fields checked against today's form (a field added since keeps its default). */
export function loadDraft(storage: Storage): { form: FormState; variants: Variants } | null {
  try {
    const raw = storage.getItem(DRAFT_KEY);
    if (!raw) return null;
    const saved = JSON.parse(raw) as { form?: Record<string, unknown>; variants?: Variants };
    const form = blankForm();
    for (const [k, v] of Object.entries(saved.form ?? {})) {
      const key = k as keyof FormState;
      if (key in form && typeof v === typeof form[key] && Array.isArray(v) === Array.isArray(form[key]))
        (form as Record<string, unknown>)[key] = v;
    }
    return { form, variants: Array.isArray(saved.variants) ? saved.variants : null };
  } catch {
    return null;
  }
}
