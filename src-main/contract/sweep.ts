/**
 * A sweep, as a researcher describes it: which learners, which settings over what values, how
 * trials are drawn, how many, where successive halving stops the weak ones, and how many fresh
 * seeds train each learner's best configuration for the meta-test. Plain data and pure functions
 * (the CLI, the form, the service and the scheduler read them; nothing here loads TensorFlow.js).
 *
 * The protocol it encodes (SCIENCE.md): trials are compared on meta-validation only; the chosen
 * configuration is then trained again on seeds no trial used and meta-tested once.
 */
import { z } from 'zod';
import { type ExperimentConfig, LEARNERS, type LearnerName, SETTINGS } from './config';
import type { SettingDescription } from './settings';
import { executorChoiceSchema } from './executor';
import type { RunStatus, RunSummary } from './records';
import { coveredBy, unusedSettings } from './learners';

/** A discrete list (numbers, or a choice's words, or true/false) or a numeric range. */
export type SearchDimension =
  | { setting: string; kind: 'values'; values: Array<number | string | boolean> }
  | { setting: string; kind: 'range'; scale: 'linear' | 'log'; min: number; max: number; steps?: number };

const DimensionSchema = z.union([
  z.object({
    setting: z.string(),
    kind: z.literal('values'),
    values: z.array(z.union([z.number(), z.string(), z.boolean()])).min(1),
  }),
  z.object({
    setting: z.string(),
    kind: z.literal('range'),
    scale: z.enum(['linear', 'log']),
    min: z.number(),
    max: z.number(),
    steps: z.number().int().min(2).max(50).optional(),
  }),
]);

export const SWEEP_METHODS = ['grid', 'random'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

/** A sweep as asked for (the API's and the CLI's input); resolveSweep fills in the defaults. */
export const SweepInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    /** The base experiment config (partial: the defaults fill in the rest). */
    config: z.record(z.string(), z.unknown()).optional(),
    learners: z.array(z.enum(LEARNERS)).min(1).max(LEARNERS.length),
    space: z.array(DimensionSchema).min(1).max(20),
    /** Default: random. */
    method: z.enum(SWEEP_METHODS).optional(),
    /** Trials per learner (each learner gets the same budget). */
    trials: z.number().int().min(1).max(1000),
    /** Seeds the random draws (default 0; the trials' training seed is the base config's). */
    seed: z.number().int().min(0).optional(),
    /** Fractions of the iterations where successive halving decides, ascending, in (0, 1). */
    rungs: z.array(z.number().gt(0).lt(1)).max(6).optional(),
    /** Fresh seeds each learner's best configuration is trained on and meta-tested with (default 3). */
    finalSeeds: z.number().int().min(1).max(20).optional(),
    /** Trials of the sweep queued or running at once (default: the workbench's concurrency). */
    parallel: z.number().int().min(1).max(64).optional(),
    /**
     * At most this many iterations trained by the trials in all: a new trial starts only while
     * the iterations committed (those trained by stopped or ended trials, the whole run of the
     * others) leave room for it, so successive halving's savings buy trials. Default: no cap.
     */
    budget: z.number().int().min(1).optional(),
    /** Where its runs train (default: the workbench's executor). */
    executor: executorChoiceSchema.optional(),
  })
  .strict();
export type SweepInput = z.infer<typeof SweepInputSchema>;

/** A sweep with its defaults in place: what is stored and scheduled. */
export type SweepSpec = Required<Omit<SweepInput, 'parallel' | 'budget' | 'executor'>> &
  Pick<SweepInput, 'parallel' | 'budget' | 'executor'>;

/** The input checked (each dimension against its setting, the rungs in order) and completed. */
export function resolveSweep(input: SweepInput): SweepSpec {
  const spec: SweepSpec = {
    ...input,
    config: input.config ?? {},
    method: input.method ?? 'random',
    seed: input.seed ?? 0,
    rungs: input.rungs ?? [],
    finalSeeds: input.finalSeeds ?? 3,
    learners: [...new Set(input.learners)],
    // By config path, whichever name the input used (the flag's or the path).
    space: input.space.map((d) => checkDimension({ ...d, setting: sweepSetting(d.setting).path })),
  };
  const paths = spec.space.map((d) => d.setting);
  const twice = paths.find((p, i) => paths.indexOf(p) !== i);
  if (twice) throw new Error(`${sweepSetting(twice).label} is in the search space twice`);
  for (let i = 1; i < spec.rungs.length; i++)
    if (!(spec.rungs[i]! > spec.rungs[i - 1]!)) throw new Error('rungs go in ascending order (e.g. 1/9,1/3)');
  return spec;
}

/** The setting a space names, by its config path ("innerLr") or its flag ("inner-lr"). */
export function sweepSetting(name: string): SettingDescription {
  const s = SETTINGS.find((d) => d.path === name || d.flag === name);
  if (!s) throw new Error(`'${name}' is not a setting (see docs/config.md for their names)`);
  if (['learner', 'seed', 'data', 'backend', 'iterations', 'evalSeed', 'evalTasks'].includes(s.path))
    throw new Error(`${s.label} is not tuned by a sweep (it is the sweep's own, or the protocol's)`);
  return s;
}

/** A value of a setting as the config takes it, from a word of a space. */
function settingValue(s: SettingDescription, word: string): number | string | boolean {
  switch (s.kind) {
    case 'int':
    case 'number':
    case 'optionalNumber': {
      const n = Number(word);
      if (!Number.isFinite(n) || (s.kind === 'int' && !Number.isInteger(n)))
        throw new Error(`${s.label} takes ${s.kind === 'int' ? 'whole numbers' : 'numbers'}, got '${word}'`);
      return n;
    }
    case 'bool':
      if (word !== 'true' && word !== 'false') throw new Error(`${s.label} is true or false, got '${word}'`);
      return word === 'true';
    case 'choice':
      if (!s.options?.includes(word))
        throw new Error(`${s.label} is one of ${s.options?.join(', ')}, got '${word}'`);
      return word;
    default:
      throw new Error(`${s.label} cannot be swept (a ${s.kind} setting): give it in the base config`);
  }
}

/**
 * One dimension from its text: `innerLr=log(0.01,1)`, `metaLr=lin(1e-4,1e-2)` (a third number:
 * the grid's points, default 3), `innerSteps=1,3,5`, or `model.activation=choice(relu,elu)`.
 */
export function parseDimension(text: string): SearchDimension {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`a search dimension is SETTING=VALUES, got '${text}'`);
  const s = sweepSetting(text.slice(0, eq).trim());
  const body = text.slice(eq + 1).trim();
  const fn = /^(log|lin|linear|range|choice)\((.*)\)$/.exec(body);
  const words = (fn ? fn[2]! : body)
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  if (!words.length) throw new Error(`${s.label}: no values in '${text}'`);
  if (fn && fn[1] !== 'choice') {
    if (!['int', 'number', 'optionalNumber'].includes(s.kind))
      throw new Error(`${s.label} is not a number: give its values, not a range`);
    if (words.length < 2 || words.length > 3)
      throw new Error(`${s.label}: a range is ${fn[1]}(LOW,HIGH) or ${fn[1]}(LOW,HIGH,GRID_POINTS)`);
    const [min, max, steps] = words.map(Number) as [number, number, number | undefined];
    const scale = fn[1] === 'log' ? 'log' : 'linear';
    return checkDimension({
      setting: s.path,
      kind: 'range',
      scale,
      min,
      max,
      ...(steps != null ? { steps } : {}),
    });
  }
  return checkDimension({ setting: s.path, kind: 'values', values: words.map((w) => settingValue(s, w)) });
}

/** A dimension whose numbers make sense, or an error that says which does not. */
export function checkDimension(d: SearchDimension): SearchDimension {
  const s = sweepSetting(d.setting);
  if (d.kind === 'values') {
    for (const v of d.values) settingValue(s, String(v));
    return d;
  }
  if (!Number.isFinite(d.min) || !Number.isFinite(d.max) || !(d.min < d.max))
    throw new Error(`${s.label}: a range needs LOW < HIGH, got ${d.min} and ${d.max}`);
  if (d.scale === 'log' && d.min <= 0) throw new Error(`${s.label}: a log range needs LOW > 0`);
  if (d.steps != null && (!Number.isInteger(d.steps) || d.steps < 2))
    throw new Error(`${s.label}: a range's grid points are a whole number ≥ 2`);
  return d;
}

/** A dimension as written on the command line (and in the export's note). */
export function describeDimension(d: SearchDimension): string {
  const s = sweepSetting(d.setting);
  if (d.kind === 'values') return `${s.label} ∈ {${d.values.join(', ')}}`;
  return `${s.label} ∈ ${d.scale === 'log' ? 'log' : 'lin'}[${d.min}, ${d.max}]`;
}

/** The dimensions that can change what this learner computes (ε means nothing to MAML). */
export function dimensionsFor(
  space: readonly SearchDimension[],
  learner: LearnerName,
  conceptSpace: 'pixels' | 'concept',
): SearchDimension[] {
  const unused = unusedSettings({ learner, space: conceptSpace });
  return space.filter((d) => !coveredBy(d.setting, unused));
}

/** The grid's points of one dimension. */
function gridPoints(d: SearchDimension, s: SettingDescription): Array<number | string | boolean> {
  if (d.kind === 'values') return d.values;
  const n = d.steps ?? 3;
  const points = Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    return d.scale === 'log'
      ? Math.exp(Math.log(d.min) + t * (Math.log(d.max) - Math.log(d.min)))
      : d.min + t * (d.max - d.min);
  });
  return [...new Set(points.map((p) => roundFor(s, p)))];
}

/** Whole numbers for an integer setting; 4 significant digits otherwise (readable, and enough). */
function roundFor(s: SettingDescription, x: number): number {
  return s.kind === 'int' ? Math.round(x) : Number(x.toPrecision(4));
}

/** mulberry32, seeded from the sweep's seed, the learner and the trial: a trial's draw never depends on the others'. */
function drawer(seed: number, learner: string, trial: number): () => number {
  let h = seed ^ 0x9e3779b9;
  for (const c of `${learner}#${trial}`) h = Math.imul(h ^ c.charCodeAt(0), 0x85ebca6b) >>> 0;
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many trials a learner gets: the trials asked for, or fewer where the grid is smaller. */
export function trialsFor(spec: SweepSpec, learner: LearnerName, conceptSpace: 'pixels' | 'concept'): number {
  if (spec.method === 'random') return spec.trials;
  const dims = dimensionsFor(spec.space, learner, conceptSpace);
  const size = dims.reduce((n, d) => n * gridPoints(d, sweepSetting(d.setting)).length, 1);
  return Math.min(spec.trials, size);
}

/**
 * Trial `index`'s values for a learner, by config path: the grid's index-th point (the last
 * dimension varying fastest), or a seeded random draw (log ranges drawn uniformly in the log).
 */
export function trialValues(
  spec: SweepSpec,
  learner: LearnerName,
  conceptSpace: 'pixels' | 'concept',
  index: number,
): Record<string, number | string | boolean> {
  const dims = dimensionsFor(spec.space, learner, conceptSpace);
  const out: Record<string, number | string | boolean> = {};
  if (spec.method === 'grid') {
    let rest = index;
    for (const d of [...dims].reverse()) {
      const points = gridPoints(d, sweepSetting(d.setting));
      out[d.setting] = points[rest % points.length]!;
      rest = Math.floor(rest / points.length);
    }
    return Object.fromEntries(dims.map((d) => [d.setting, out[d.setting]!]));
  }
  const u = drawer(spec.seed, learner, index);
  for (const d of dims) {
    const s = sweepSetting(d.setting);
    if (d.kind === 'values') out[d.setting] = d.values[Math.floor(u() * d.values.length)]!;
    else {
      const t = u();
      out[d.setting] = roundFor(
        s,
        d.scale === 'log'
          ? Math.exp(Math.log(d.min) + t * (Math.log(d.max) - Math.log(d.min)))
          : d.min + t * (d.max - d.min),
      );
    }
  }
  return out;
}

/** A rung: its index among the asked-for fractions, where it decides, and its reduction factor η. */
export interface Rung {
  rung: number;
  iteration: number;
  eta: number;
}

/**
 * Where successive halving decides: each rung's fraction of the iterations, moved up to the next
 * validation (a rung is decided on a validation's accuracy), never at or past the last
 * iteration; η is the ratio of the next rung's fraction to this one's (1/9 → 1/3: 3; the last
 * rung's next is the whole run).
 */
export function sweepRungs(fractions: readonly number[], iterations: number, valEvery: number): Rung[] {
  const every = Math.max(1, valEvery);
  const out: Rung[] = [];
  fractions.forEach((f, k) => {
    const iteration = Math.max(every, Math.ceil((f * iterations) / every - 1e-9) * every);
    const eta = (fractions[k + 1] ?? 1) / f;
    if (iteration < iterations && !out.some((r) => r.iteration === iteration))
      out.push({ rung: k, iteration, eta });
  });
  return out;
}

/**
 * Asynchronous successive halving (Li et al., 2020, "A System for Massively Parallel
 * Hyperparameter Tuning"), as a stopping rule: a trial reaching a rung continues if its
 * validation accuracy is among the best 1/η of all the trials that have reached that rung so far
 * (itself included; at least one always continues), and stops otherwise. No trial waits for a
 * rung to fill: the first to arrive continues.
 */
export function ashaContinues(value: number, atRung: readonly number[], eta: number): boolean {
  if (!Number.isFinite(value)) return false;
  const all = [...atRung, value];
  const keep = Math.max(1, Math.floor(all.length / eta));
  const better = all.filter((v) => Number.isFinite(v) && v > value).length;
  return better < keep;
}

/** A rung's fractions from text: "1/9,1/3" or "0.11,0.33". */
export function parseRungs(text: string): number[] {
  const rungs = text
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean)
    .map((w) => {
      const m = /^(\d+)\/(\d+)$/.exec(w);
      const f = m ? Number(m[1]) / Number(m[2]) : Number(w);
      if (!(f > 0 && f < 1)) throw new Error(`a rung is a fraction of the iterations in (0, 1), got '${w}'`);
      return f;
    });
  for (let i = 1; i < rungs.length; i++)
    if (!(rungs[i]! > rungs[i - 1]!)) throw new Error('rungs go in ascending order (e.g. 1/9,1/3)');
  return rungs;
}

/** A fraction as a person writes it ("1/9") where it is one. */
export function formatFraction(f: number): string {
  for (let d = 2; d <= 100; d++) {
    const n = Math.round(f * d);
    if (n > 0 && Math.abs(n / d - f) < 1e-9) return `${n}/${d}`;
  }
  return String(f);
}

export const SWEEP_STATUSES = ['running', 'completed', 'cancelled', 'failed'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];
/** Trials (compared on validation), then the chosen configurations on fresh seeds, then done. */
export type SweepPhase = 'trials' | 'final' | 'done';
export type TrialValues = Record<string, number | string | boolean>;

/** A learner's best trial: its values and the validation accuracy that chose it. */
export interface ChosenConfiguration {
  runId: number;
  trial: number;
  values: TrialValues;
  validation: number;
  ci95: number;
  /** Trials of this learner that ended (completed, stopped early or failed). */
  trials: number;
}

export interface Sweep {
  id: number;
  name: string;
  spec: SweepSpec;
  /** The base config, parsed (defaults filled in): every trial is it plus its values. */
  baseConfig: ExperimentConfig;
  status: SweepStatus;
  phase: SweepPhase;
  /** Where the trials are, and where the final runs on fresh seeds are (the comparison to cite). */
  trialsExperimentId: number;
  finalExperimentId: number;
  /** Per learner; a learner whose every trial failed has none (its reason is in `error`). */
  chosen: Partial<Record<LearnerName, ChosenConfiguration>>;
  error: string | null;
  createdAt: number;
  endedAt: number | null;
}

/** A successive-halving decision: at which rung, on what validation accuracy, and what it said. */
export interface RungDecision {
  rung: number;
  iteration: number;
  value: number;
  decision: 'continue' | 'stop';
}

export interface SweepTrial {
  runId: number;
  learner: LearnerName;
  trial: number;
  values: TrialValues;
  status: RunStatus;
  iteration: number;
  iterations: number;
  /** Why and where successive halving stopped it, or null. */
  stoppedEarly: string | null;
  /** Its newest validation (what it is compared on), or null before its first. */
  validation: { iteration: number; mean: number; ci95: number } | null;
  rungs: RungDecision[];
  error: string | null;
}

export interface SweepDetail extends Sweep {
  /** Where successive halving decides (sweepRungs). */
  rungs: Rung[];
  trials: SweepTrial[];
  /** Trials each learner gets (fewer than asked for where a grid is smaller). */
  trialsPerLearner: Partial<Record<LearnerName, number>>;
  /** Iterations trained by the trials so far, against the budget if there is one. */
  iterationsTrained: number;
  finals: RunSummary[];
}

/** The sweep list's row. */
export type SweepSummary = Sweep & { trialsEnded: number; trialsTotal: number };

/**
 * How a sweep's final run came to its configuration, for the results table's § mark, its note and
 * the CSV: the trials its learner had, the space searched, the values chosen on meta-validation.
 */
export interface Tuning {
  sweepId: number;
  trials: number;
  space: string;
  chosen: string;
}

/** The values of a trial in words ("Inner learning rate α = 0.3162"). */
export function describeValues(values: TrialValues): string {
  return Object.entries(values)
    .map(([path, v]) => `${sweepSetting(path).label} = ${v}`)
    .join(', ');
}

/** A final run's tuning, from its sweep; null for a learner nothing was chosen for. */
export function tuningOf(
  sweep: Pick<Sweep, 'id' | 'spec' | 'baseConfig' | 'chosen'>,
  learner: LearnerName,
): Tuning | null {
  const chosen = sweep.chosen[learner];
  if (!chosen) return null;
  return {
    sweepId: sweep.id,
    trials: chosen.trials,
    space: dimensionsFor(sweep.spec.space, learner, sweep.baseConfig.space).map(describeDimension).join('; '),
    chosen: describeValues(chosen.values),
  };
}
