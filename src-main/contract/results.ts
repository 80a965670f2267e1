/**
 * Comparing runs: grouping by configuration minus seed, mean ± 95% CI across seeds, paired
 * differences on identical meta-test episodes, "only what differs", and the results table of a
 * paper (rows methods, columns settings). Pure and runtime-neutral: the renderer, the service
 * and `deml export` all use it.
 */
import { type Provenance, describeMachine, describeSoftware } from './provenance';
import type { Tuning } from './sweep';
import { type ExperimentConfig, settingLabel } from './config';
import { LEARNER_INFO, type LearnerName, coveredBy, unusedSettings } from './learners';
import type { Evaluation } from './records';

/** What comparing needs of an evaluation. */
export type ComparedEvaluation = Pick<
  Evaluation,
  'mean' | 'ci95' | 'tasks' | 'accuracies' | 'episodeSeed' | 'ways' | 'shots' | 'queries'
> &
  Partial<
    Pick<
      Evaluation,
      | 'id'
      | 'step'
      | 'dataset'
      | 'split'
      | 'episodeFile'
      | 'episodeFileName'
      | 'innerSteps'
      | 'instances'
      | 'byInstance'
    >
  >;

/** What comparing needs of a run. */
export interface ComparedRun {
  id: number;
  config: ExperimentConfig;
  /** The meta-test of its training, when the run completed. */
  test: ComparedEvaluation | null;
  /**
   * Its meta-test evaluations of any origin (its training's, and those asked for afterwards, on
   * other datasets or settings or episode files): the cells of the results table. Without them,
   * the training meta-test alone.
   */
  evaluations?: ComparedEvaluation[];
  /** What and where its trainer ran with, for the table's note and the CSV. */
  provenance?: Provenance | null;
  /** A sweep's final run: how its configuration was chosen on meta-validation. */
  tuning?: Tuning | null;
}

/** A run as the compare channel gives it (RunComparison), as the results table takes it. */
export function comparedRun(c: {
  run: { id: number; provenance: Provenance | null };
  config: ExperimentConfig;
  test: ComparedEvaluation | null;
  evaluations: ComparedEvaluation[];
  tuning: Tuning | null;
}): ComparedRun {
  return {
    id: c.run.id,
    config: c.config,
    test: c.test,
    evaluations: c.evaluations,
    provenance: c.run.provenance,
    tuning: c.tuning,
  };
}

export interface Interval {
  mean: number;
  /** Half-width of the 95% confidence interval (NaN when it cannot be estimated). */
  ci95: number;
  n: number;
}

/** Two-sided 95% quantiles of Student's t for 1…30 degrees of freedom (tabulated). */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * The two-sided 95% quantile of Student's t with df degrees of freedom: tabulated to 30, then the
 * Cornish–Fisher expansion around the normal's 1.96 (2.0423 at 30 against the table's 2.042, 1.9639
 * at 599), so an interval never jumps to the normal's where the table ends.
 */
export function t95(df: number): number {
  if (df < 1) return Number.NaN;
  if (df <= T95.length) return T95[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/**
 * Mean and 95% CI of independent samples: t-quantile × s/√n, so three seeds get the wide
 * interval they deserve (with many samples, as the 600 tasks of a meta-test, t ≈ 1.96).
 */
export function meanCi(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, ci95: Number.NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, ci95: Number.NaN, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, ci95: (t95(n - 1) * Math.sqrt(variance)) / Math.sqrt(n), n };
}

/**
 * Below this many seeds an interval across seeds says nothing: Student's t with one degree of
 * freedom is 12.7, so two seeds 6 points apart read "± 38 points". There the interval is taken
 * over the tasks instead (the seeds' per-episode accuracies), and says so.
 */
export const MIN_SEEDS_FOR_INTERVAL = 3;

/** What an interval is over: the spread of the seeds' means, or of the meta-test tasks. */
export type IntervalBasis = 'seeds' | 'tasks';

export interface SeedInterval extends Interval {
  /** Seeds (runs) behind the mean. */
  seeds: number;
  basis: IntervalBasis;
}

/**
 * Accuracy of one cell over its seeds' evaluations. With ≥ MIN_SEEDS_FOR_INTERVAL seeds: mean ±
 * t·s/√n across the seeds' means. With fewer: the interval over tasks, on the seeds' per-episode
 * accuracies averaged episode by episode when they saw the same episodes, pooled otherwise; NaN
 * when the per-episode accuracies are not at hand.
 */
export function seedInterval(es: readonly ComparedEvaluation[]): SeedInterval {
  const seeds = es.length;
  if (seeds === 0) return { mean: Number.NaN, ci95: Number.NaN, n: 0, seeds, basis: 'tasks' };
  if (seeds >= MIN_SEEDS_FOR_INTERVAL) return { ...meanCi(es.map((e) => e.mean)), seeds, basis: 'seeds' };
  if (seeds === 1) return { mean: es[0]!.mean, ci95: es[0]!.ci95, n: es[0]!.tasks, seeds, basis: 'tasks' };
  const mean = es.reduce((a, e) => a + e.mean, 0) / seeds;
  if (es.some((e) => e.accuracies.length === 0))
    return { mean, ci95: Number.NaN, n: 0, seeds, basis: 'tasks' };
  const shared = sameEpisodes(es);
  const values = shared
    ? Array.from(
        { length: es[0]!.accuracies.length },
        (_, i) => es.reduce((a, e) => a + e.accuracies[i]!, 0) / seeds,
      )
    : es.flatMap((e) => e.accuracies);
  return { ...meanCi(values), mean, seeds, basis: 'tasks' };
}

/** Which episodes an evaluation saw: its episode file, or its seed, shape and task count. */
function episodesOf(e: ComparedEvaluation): string {
  return e.episodeFile
    ? `file ${e.episodeFile}`
    : `seed ${e.episodeSeed}, ${e.ways}-way ${e.shots}-shot, ${e.queries} queries, ${e.tasks} tasks`;
}

/** Whether the evaluations saw the same episodes, each with its per-episode accuracies. */
function sameEpisodes(es: readonly ComparedEvaluation[]): boolean {
  return (
    es.length > 0 &&
    es.every((e) => e.accuracies.length > 0 && e.accuracies.length === es[0]!.accuracies.length) &&
    new Set(es.map(episodesOf)).size === 1
  );
}

/** Config fields, flattened to dotted keys ("model.filters"), arrays as text. */
export function flattenConfig(config: object, prefix = ''): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(config)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flattenConfig(v, key));
    else out[key] = Array.isArray(v) ? v.join(',') : (v as string | number | boolean);
  }
  return out;
}

/** Keys that take more than one value across the configs (missing keys count as a value). */
export function differingKeys(configs: readonly object[], ignore: readonly string[] = []): string[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return keys.filter((k) => !ignore.includes(k) && new Set(flat.map((f) => JSON.stringify(f[k]))).size > 1);
}

/**
 * A run's settings as comparisons see them: flattened, without the fields its learner and space
 * never read (unusedSettings in contract/learners.ts), so they neither split seeds of one cell into groups nor label
 * a method ("ProtoNet · mann.batch=16").
 */
export function comparedSettings(config: ExperimentConfig): Record<string, string | number | boolean> {
  const unused = unusedSettings(config);
  const flat = flattenConfig(config);
  for (const k of Object.keys(flat)) if (coveredBy(k, unused)) delete flat[k];
  return flat;
}

/** Settings that take more than one value among the runs that use them; the learner first. */
function settingsThatDiffer(configs: readonly ExperimentConfig[], ignore: readonly string[]): string[] {
  const flat = configs.map(comparedSettings);
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort((a, b) =>
    a === 'learner' ? -1 : b === 'learner' ? 1 : a.localeCompare(b),
  );
  return keys.filter(
    (k) =>
      !ignore.includes(k) && new Set(flat.filter((f) => k in f).map((f) => JSON.stringify(f[k]))).size > 1,
  );
}

/** The label of a run's method or group: each differing setting it uses, described. */
function labelOf(settings: Record<string, string | number | boolean>, keys: readonly string[]): string {
  return keys
    .filter((k) => k in settings)
    .map((k) => describeSetting(k, settings[k]!))
    .join(' · ');
}

/** Fields that say which experiment cell a run belongs to, not which repetition it is. */
const REPETITION_KEYS = ['seed'];
/** Fields that never change results (how the run was watched, not what it computed). */
const BOOKKEEPING_KEYS = ['checkpointEvery', 'checkpointsKept', 'backend', 'valEvery', 'valTasks'];

/**
 * Which cell of its experiment a run belongs to, in words: its learner's short name, then each
 * setting in which the experiment's runs differ (seeds and bookkeeping aside), by its label, e.g.
 * "MAML · Space concept · Shots 5". `siblings` are the configs of the experiment's runs (this one
 * among them); settings a run's learner and space never read do not tell it apart.
 */
export function cellLabel(config: ExperimentConfig, siblings: readonly ExperimentConfig[]): string {
  const differing = settingsThatDiffer(
    [config, ...siblings],
    ['learner', ...REPETITION_KEYS, ...BOOKKEEPING_KEYS],
  );
  const settings = comparedSettings(config);
  return [
    LEARNER_INFO[config.learner]?.short ?? config.learner,
    ...differing.filter((k) => k in settings).map((k) => `${settingLabel(k)} ${String(settings[k])}`),
  ].join(' · ');
}

/** The settings an experiment's runs differ in, beyond their seeds (the learner first): its cells'. */
export function varyingSettings(configs: readonly ExperimentConfig[]): string[] {
  return settingsThatDiffer(configs, [...REPETITION_KEYS, ...BOOKKEEPING_KEYS]);
}

/** A run named by its cell and seed: "MAML · Shots 5 · seed 0". */
export function runLabel(run: { cell: string; seed: number }): string {
  return `${run.cell} · seed ${run.seed}`;
}

export interface RunGroup {
  /** Stable key: the config minus the seed. */
  key: string;
  /** The settings that tell this group from the others compared, e.g. "learner=metasgd". */
  label: string;
  settings: Record<string, string | number | boolean>;
  runs: ComparedRun[];
  seeds: number[];
  /** Meta-test accuracy: across seeds with ≥ 3 of them, over tasks otherwise (seedInterval). */
  test: SeedInterval | null;
}

/**
 * One setting in a name: self-describing values alone ("5-shot", "MAML", "glyphs"), the others
 * with their label ("Generator training frozen"); yes/no settings read on/off.
 */
export function describeSetting(key: string, value: string | number | boolean): string {
  if (key === 'learner') return LEARNER_INFO[value as LearnerName]?.short ?? String(value);
  if (key === 'space') return value === 'concept' ? 'concept space' : 'pixels';
  if (key === 'data') return String(value);
  if (key === 'shots') return `${value}-shot`;
  if (key === 'ways') return `${value}-way`;
  if (key === 'iterations') return `${value} iterations`;
  // By the setting's label, as every other place names it ("Generator training frozen").
  return `${settingLabel(key)} ${typeof value === 'boolean' ? (value ? 'on' : 'off') : value}`;
}

/** Group runs by configuration minus seed; label each group by what differs between groups. */
export function groupRuns(runs: readonly ComparedRun[]): RunGroup[] {
  const groups = partition(runs, (r) => {
    const flat = comparedSettings(r.config);
    for (const k of [...REPETITION_KEYS, ...BOOKKEEPING_KEYS]) delete flat[k];
    return JSON.stringify(Object.entries(flat).sort(([a], [b]) => a.localeCompare(b)));
  });
  const differing = settingsThatDiffer(
    groups.map(([, rs]) => rs[0]!.config),
    [...REPETITION_KEYS, ...BOOKKEEPING_KEYS],
  );
  return groups.map(([key, rs]) => {
    const flat = comparedSettings(rs[0]!.config);
    const settings = Object.fromEntries(differing.filter((k) => k in flat).map((k) => [k, flat[k]!]));
    return runGroup(key, labelOf(flat, differing) || 'all runs', settings, rs);
  });
}

/**
 * Runs grouped by the values of the chosen settings alone, every other setting pooled: "group
 * and colour by any setting". A run whose learner or space never reads a chosen setting is in the
 * group where that setting is "not used".
 */
export function groupRunsBy(runs: readonly ComparedRun[], keys: readonly string[]): RunGroup[] {
  const valuesOf = (r: ComparedRun) => {
    const flat = comparedSettings(r.config);
    return keys.map((k) => flat[k] ?? null);
  };
  return partition(runs, (r) => JSON.stringify(valuesOf(r))).map(([key, rs]) => {
    // The key is the values: every run of the group has the first's.
    const values = valuesOf(rs[0]!);
    const label = keys
      .map((k, i) => (values[i] == null ? `${settingLabel(k)} not used` : describeSetting(k, values[i]!)))
      .join(' · ');
    return runGroup(key, label, Object.fromEntries(keys.map((k, i) => [k, values[i] ?? 'not used'])), rs);
  });
}

/** Runs by a key of each, the groups in the order their keys first appear. */
function partition(
  runs: readonly ComparedRun[],
  keyOf: (r: ComparedRun) => string,
): Array<[string, ComparedRun[]]> {
  const byKey = new Map<string, ComparedRun[]>();
  for (const r of runs) {
    const key = keyOf(r);
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return [...byKey.entries()];
}

/** A group with its seeds and its meta-test interval (across seeds from three, else over tasks). */
function runGroup(key: string, label: string, settings: RunGroup['settings'], runs: ComparedRun[]): RunGroup {
  const completed = runs.filter((r) => r.test);
  return {
    key,
    label,
    settings,
    runs,
    seeds: runs.map((r) => r.config.seed).sort((a, b) => a - b),
    test: completed.length === 0 ? null : seedInterval(completed.map((r) => r.test!)),
  };
}

export interface PairedDifference {
  /** Mean of (a − b) over the shared episodes, with its own 95% CI. */
  mean: number;
  ci95: number;
  tasks: number;
  /** Fraction of episodes where a beats b. */
  wins: number;
}

/** Why two evaluations cannot be paired, or null when they can. */
export function pairingProblem(
  a: ComparedRun['test'],
  b: ComparedRun['test'],
  da: string,
  db: string,
): string | null {
  if (!a || !b) return 'both need a meta-test result';
  if (da !== db) return `different datasets (${da}, ${db})`;
  if (a.episodeSeed !== b.episodeSeed) return `different episode seeds (${a.episodeSeed}, ${b.episodeSeed})`;
  if (a.ways !== b.ways || a.shots !== b.shots || a.queries !== b.queries) return 'different task shapes';
  if (a.accuracies.length !== b.accuracies.length) return 'different numbers of meta-test tasks';
  return null;
}

/**
 * Paired comparison on identical episodes: per-episode differences d_i = a_i − b_i, mean ± t·s/√T.
 * The shared episode difficulty cancels, so this interval is far tighter than the two
 * independent intervals would suggest.
 */
export function pairedDifference(a: readonly number[], b: readonly number[]): PairedDifference {
  if (a.length !== b.length) throw new Error('paired samples must have the same length');
  const d = a.map((x, i) => x - b[i]!);
  const { mean, ci95, n } = meanCi(d);
  return { mean, ci95, tasks: n, wins: d.filter((x) => x > 0).length / Math.max(1, n) };
}

/** A group's per-episode accuracies, averaged over its seeds (all evaluated on the same episodes). */
export function groupAccuracies(group: RunGroup): number[] | null {
  const tests = group.runs.map((r) => r.test).filter((t): t is NonNullable<typeof t> => t != null);
  if (tests.length === 0) return null;
  const n = tests[0]!.accuracies.length;
  if (tests.some((t) => t.accuracies.length !== n || t.episodeSeed !== tests[0]!.episodeSeed)) return null;
  return Array.from({ length: n }, (_, i) => tests.reduce((s, t) => s + t.accuracies[i]!, 0) / tests.length);
}

export function comparePaired(a: RunGroup, b: RunGroup): PairedDifference | { problem: string } {
  const ta = a.runs.find((r) => r.test)?.test ?? null;
  const tb = b.runs.find((r) => r.test)?.test ?? null;
  const problem = pairingProblem(ta, tb, a.runs[0]!.config.data, b.runs[0]!.config.data);
  if (problem) return { problem };
  const xa = groupAccuracies(a);
  const xb = groupAccuracies(b);
  if (!xa || !xb) return { problem: 'the seeds of a group were evaluated on different episodes' };
  return pairedDifference(xa, xb);
}

export type SummaryStatistic = 'last' | 'best' | 'min' | 'max';

/** One number from a series; "best" is the max of accuracies and the min of losses. */
export function summarize(values: readonly number[], stat: SummaryStatistic, key: string): number {
  if (values.length === 0) return Number.NaN;
  const lowerIsBetter = /loss|rss|memory/.test(key);
  switch (stat) {
    case 'last':
      return values[values.length - 1]!;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'best':
      return lowerIsBetter ? Math.min(...values) : Math.max(...values);
  }
}

// ---------------------------------------------------------------------------------------------
// The results table: rows are methods, columns settings (dataset × N-way K-shot), as in papers.
// Cells come from evaluations, so one trained model evaluated several ways fills several columns.

/** Settings that make a column; everything else that differs makes the method (row). */
const COLUMN_KEYS = ['data', 'ways', 'shots'];
/** What trainedShape says, when rows say how they were trained. */
const SHAPE_KEYS = ['queries', 'siamese.pairs'];

/** A run's evaluations that can be table cells: meta-test ones, and those of episode files. */
export function tableEvaluations(r: ComparedRun): Array<ComparedEvaluation & { dataset: string }> {
  const all = r.evaluations ?? (r.test ? [r.test] : []);
  return all
    .filter((e) => e.split === undefined || e.split === 'test' || e.split === null)
    .map((e) => ({ ...e, dataset: e.dataset ?? r.config.data }));
}

/**
 * A column: "omniglot 20-way 1-shot, 15 queries" (the queries are part of the setting: 5 and 15
 * give different accuracies, and must not share a column); an episode file's by the file's name,
 * "lake-runs.json 20-way 1-shot (omni-eval)"; a MANN's sequences "omniglot 5-way, 10 presentations"
 * (its cell: the second presentation's accuracy).
 */
export function evaluationColumn(e: ComparedEvaluation & { dataset: string }): string {
  if (e.instances) return `${e.dataset} ${e.ways}-way, ${e.instances} presentations`;
  const shots = e.shots > 0 ? `${e.shots}-shot` : 'K varies';
  if (e.episodeFile) {
    return `${e.episodeFileName ?? `episodes ${e.episodeFile.slice(0, 8)}`} ${e.ways}-way ${shots} (${e.dataset})`;
  }
  return `${shapeColumn(e.dataset, e.ways, e.shots)}${e.queries > 0 ? `, ${e.queries} queries` : ''}`;
}

/** "omniglot 20-way 1-shot": where published figures go, whatever the queries. */
function shapeColumn(dataset: string, ways: number, shots: number): string {
  return `${dataset} ${ways}-way ${shots > 0 ? `${shots}-shot` : 'K varies'}`;
}

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st. */
export function ordinal(k: number): string {
  const teen = Math.floor(k / 10) % 10 === 1;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th');
  return `${k}${suffix}`;
}

/**
 * Each column's evaluation of a run: the newest where it has several (ids grow with time). With
 * `instances`, a MANN's evaluation also fills a column per presentation asked for ("omniglot
 * 5-way: 1st presentation"), from its accuracy by presentation.
 */
function evaluationsByColumn(
  r: ComparedRun,
  instances: readonly number[] = [],
): Map<string, ComparedEvaluation> {
  const out = new Map<string, ComparedEvaluation>();
  const keep = (column: string, e: ComparedEvaluation) => {
    const held = out.get(column);
    if (!held || (e.id ?? 0) >= (held.id ?? 0)) out.set(column, e);
  };
  for (const e of tableEvaluations(r)) {
    keep(evaluationColumn(e), e);
    for (const k of instances) {
      const at = e.byInstance?.[k - 1];
      if (at)
        keep(`${e.dataset} ${e.ways}-way: ${ordinal(k)} presentation`, {
          ...e,
          mean: at.mean,
          ci95: at.ci95,
          accuracies: [],
        });
    }
  }
  return out;
}

/** Published figures to show beside a table's cells (a protocol preset's, say). */
export interface PublishedResult {
  /** The row, e.g. "MAML (Finn et al. 2017)". */
  method: string;
  /** Which column: the dataset reference and N-way K-shot. */
  data: string;
  ways: number;
  shots: number;
  mean: number;
  ci95: number;
}

export interface ResultsCell extends Interval {
  seeds: number;
  tasks: number;
  /** What its interval is over (seedInterval): seeds from three of them, tasks below. */
  basis: IntervalBasis;
  /** The highest mean of its column. */
  best: boolean;
  /** Not the best, but not distinguishable from it at 95%, by `tieRule`. */
  tie: boolean;
  /**
   * How it was tested against its column's best: "paired" when both saw the same episodes (the
   * 95% interval of the per-episode difference contains 0), "intervals" otherwise (the two
   * intervals overlap); null for the best itself and published figures.
   */
  tieRule: TieRule | null;
  /** The distinct software and machines its runs trained with (describeSoftware/-Machine). */
  software?: string[];
  machines?: string[];
  /** Its runs' configuration was chosen by a sweep on meta-validation (marked §). */
  tuning?: Tuning;
}

export type TieRule = 'paired' | 'intervals';

/** The table's footnote on †, naming the rule(s) its cells were tested by. */
export function tieNote(table: ResultsTable): string {
  const rules = new Set(table.rows.flatMap((r) => r.cells.map((c) => c?.tieRule)).filter((x) => x != null));
  if (rules.size === 0) return '';
  const paired = 'the paired per-episode difference from the best includes 0';
  const overlap = "its 95% interval overlaps the best one's";
  if (rules.size === 2)
    return `†: not distinguishable from the best (${paired} where both saw the same episodes; elsewhere ${overlap})`;
  return `†: not distinguishable from the best (${rules.has('paired') ? paired : overlap})`;
}

/** The measured cells of a table (published figures have no interval basis of their own). */
function measuredCells(table: ResultsTable): ResultsCell[] {
  return table.rows
    .filter((r) => !r.published)
    .flatMap((r) => r.cells.filter((c): c is ResultsCell => c != null));
}

/**
 * Does this cell's interval need a mark? Where a table mixes cells whose interval is across seeds
 * with cells whose interval is over the column's episodes (fewer than MIN_SEEDS_FOR_INTERVAL
 * seeds), the latter are marked ‡: the two kinds are not comparable at a glance (± 9 across 3
 * seeds beside ± 1 over 600 tasks of one seed).
 */
export function marksTaskInterval(table: ResultsTable, cell: ResultsCell): boolean {
  if (cell.basis !== 'tasks') return false;
  return measuredCells(table).some((c) => c.basis === 'seeds');
}

/** What the table's intervals are over, cell by cell where they differ, with the seeds behind them. */
export function intervalNote(table: ResultsTable): string {
  const cells = measuredCells(table);
  const counts = (basis: IntervalBasis) =>
    [...new Set(cells.filter((c) => c.basis === basis).map((c) => c.seeds))].sort((a, b) => a - b);
  const seeds = counts('seeds');
  const tasks = counts('tasks');
  const n = (list: number[]) =>
    `n = ${list.join(' or ')} seed${list.length === 1 && list[0] === 1 ? '' : 's'}`;
  const acrossSeeds = `across each cell's seeds (${n(seeds)})`;
  const overTasks = `over the column's meta-test episodes, the cell's seeds pooled (${n(tasks)}: fewer than ${MIN_SEEDS_FOR_INTERVAL} seeds say nothing across seeds)`;
  if (tasks.length === 0) return `95% confidence intervals (Student's t) ${acrossSeeds}`;
  if (seeds.length === 0) return `95% confidence intervals (Student's t) ${overTasks}`;
  return `95% confidence intervals (Student's t): unmarked, ${acrossSeeds}; ‡, ${overTasks}`;
}

export interface ResultsTable {
  columns: string[];
  /** Where each column's episodes came from: the dataset's seeded test episodes, or an episode file. */
  columnSources?: Array<'split' | 'file'>;
  /** The distinct software and machines the measured cells' runs trained with. */
  provenance?: { software: string[]; machines: string[] };
  /** Published rows are figures from papers: shown beside the cells, never bold or †. */
  rows: Array<{ method: string; cells: Array<ResultsCell | null>; published?: boolean }>;
}

export function columnLabel(config: Pick<ExperimentConfig, 'data' | 'ways' | 'shots' | 'queries'>): string {
  return evaluationColumn({
    dataset: config.data,
    ways: config.ways,
    shots: config.shots,
    queries: config.queries,
  } as ComparedEvaluation & { dataset: string });
}

/** "trained 5-way 1-shot, 15 queries" (and a Siamese network's pairs): the shape a row learned at. */
export function trainedShape(config: ExperimentConfig): string {
  if (config.learner === 'mann') return `trained ${config.ways}-way, ${config.mann.instances} presentations`;
  const pairs = config.learner === 'siamese' ? `, ${config.siamese.pairs} pairs` : '';
  return `trained ${config.ways}-way ${config.shots}-shot, ${config.queries} queries${pairs}`;
}

export function resultsTable(
  runs: readonly ComparedRun[],
  published: readonly PublishedResult[] = [],
  options: { instances?: readonly number[] } = {},
): ResultsTable {
  const cellsOf = new Map(runs.map((r) => [r.id, evaluationsByColumn(r, options.instances)]));
  const completed = runs.filter((r) => cellsOf.get(r.id)!.size > 0);
  // Where a model is evaluated at another shape than it was trained at, the columns no longer say
  // how the rows were trained: each row says it.
  const otherShape = completed.some((r) =>
    [...cellsOf.get(r.id)!.values()].some(
      (e) =>
        e.ways !== r.config.ways ||
        (e.shots !== r.config.shots && !e.instances) ||
        (e.queries > 0 && e.queries !== r.config.queries) ||
        e.episodeFile,
    ),
  );
  const methodKeys = settingsThatDiffer(
    completed.map((r) => r.config),
    [...REPETITION_KEYS, ...BOOKKEEPING_KEYS, ...COLUMN_KEYS, ...(otherShape ? SHAPE_KEYS : [])],
  );
  const methodOf = (r: ComparedRun) => {
    const settings = comparedSettings(r.config);
    // A run stopped early (cancelled at 589 of 1500) is labelled by the iterations its cells
    // evaluated, not by what it was configured for.
    const steps = [...cellsOf.get(r.id)!.values()].map((e) => e.step).filter((x): x is number => x != null);
    const reached = steps.length > 0 ? Math.max(...steps) : r.config.iterations;
    if (reached < r.config.iterations) settings.iterations = reached;
    const label = labelOf(settings, methodKeys.includes('learner') ? methodKeys : ['learner', ...methodKeys]);
    const stopped =
      reached < r.config.iterations && !methodKeys.includes('iterations')
        ? ` · ${reached} of ${r.config.iterations} iterations`
        : '';
    return `${label}${stopped}${otherShape ? ` · ${trainedShape(r.config)}` : ''}`;
  };
  const columns = [...new Set(completed.flatMap((r) => [...cellsOf.get(r.id)!.keys()]))];
  const methods = [...new Set(completed.map(methodOf))];
  const evaluationsOf = (m: string, c: string) =>
    completed
      .filter((r) => methodOf(r) === m)
      .map((r) => cellsOf.get(r.id)!.get(c))
      .filter((e): e is ComparedEvaluation => e != null);
  const cells = methods.map((m) =>
    columns.map((c): ResultsCell | null => {
      const es = evaluationsOf(m, c);
      if (es.length === 0) return null;
      const { seeds, basis, ...interval } = seedInterval(es);
      // What its own runs trained with: a cell's CSV line names them, not the whole table's.
      const traced = completed
        .filter((r) => methodOf(r) === m && cellsOf.get(r.id)!.has(c))
        .map((r) => r.provenance)
        .filter((p): p is Provenance => p != null);
      const tuning = completed.find(
        (r) => methodOf(r) === m && cellsOf.get(r.id)!.has(c) && r.tuning,
      )?.tuning;
      return {
        ...interval,
        seeds,
        basis,
        ...(tuning ? { tuning } : {}),
        tasks: es[0]!.tasks,
        best: false,
        tie: false,
        tieRule: null,
        ...(traced.length
          ? {
              software: [...new Set(traced.map(describeSoftware))],
              machines: [...new Set(traced.map(describeMachine))],
            }
          : {}),
      };
    }),
  );
  columns.forEach((column, j) => {
    const held = cells.map((row, i) => ({ cell: row[j], method: methods[i]! })).filter((x) => x.cell != null);
    if (held.length === 0) return;
    const best = held.reduce((a, b) => (b.cell!.mean > a.cell!.mean ? b : a));
    const bestEvaluations = evaluationsOf(best.method, column);
    for (const { cell, method } of held) {
      const c = cell!;
      c.best = c.mean === best.cell!.mean;
      if (c.best) continue;
      // The paired test where both saw the same episodes: it is the one that sees small but
      // consistent differences, which overlapping intervals hide.
      const mine = evaluationsOf(method, column);
      if (sameEpisodes([...bestEvaluations, ...mine])) {
        const d = pairedDifference(episodeMeans(bestEvaluations), episodeMeans(mine));
        c.tieRule = 'paired';
        // One shared episode gives no interval: nothing tells the two apart.
        c.tie = !(d.mean - (Number.isFinite(d.ci95) ? d.ci95 : Infinity) > 0);
      } else {
        const half = (x: ResultsCell) => (Number.isFinite(x.ci95) ? x.ci95 : 0);
        c.tieRule = 'intervals';
        c.tie = c.mean + half(c) >= best.cell!.mean - half(best.cell!);
      }
    }
  });
  const rows: ResultsTable['rows'] = methods.map((method, i) => ({ method, cells: cells[i]! }));
  // A published figure goes in the column of its dataset and shape, whatever our queries there.
  const shapeOf = new Map<string, string>();
  for (const r of completed) {
    for (const [c, e] of cellsOf.get(r.id)!) {
      if (!e.episodeFile && !e.instances)
        shapeOf.set(c, shapeColumn(e.dataset ?? r.config.data, e.ways, e.shots));
    }
  }
  for (const method of [...new Set(published.map((p) => p.method))]) {
    const mine = published.filter((p) => p.method === method);
    const row = columns.map((c): ResultsCell | null => {
      const p = mine.find((x) => shapeColumn(x.data, x.ways, x.shots) === shapeOf.get(c));
      return p
        ? {
            mean: p.mean,
            ci95: p.ci95,
            n: 1,
            seeds: 0,
            tasks: 0,
            basis: 'tasks',
            best: false,
            tie: false,
            tieRule: null,
          }
        : null;
    });
    if (row.some((c) => c)) rows.push({ method, cells: row, published: true });
  }
  const fileColumns = new Set(
    completed.flatMap((r) => [...cellsOf.get(r.id)!].filter(([, e]) => e.episodeFile).map(([c]) => c)),
  );
  const measured = completed.map((r) => r.provenance).filter((p): p is Provenance => p != null);
  return {
    columns,
    columnSources: columns.map((c) => (fileColumns.has(c) ? 'file' : 'split')),
    rows,
    ...(measured.length
      ? {
          provenance: {
            software: [...new Set(measured.map(describeSoftware))],
            machines: [...new Set(measured.map(describeMachine))],
          },
        }
      : {}),
  };
}

/**
 * Paired difference of two groups in one column of the results table: their evaluations there
 * must be on identical episodes (the same episode file, or the same split, seed, shape and task
 * count), the seeds of a group averaged episode by episode.
 */
export function pairedInColumn(
  a: RunGroup,
  b: RunGroup,
  column: string,
): PairedDifference | { problem: string } {
  const inColumn = (g: RunGroup) =>
    g.runs.map((r) => evaluationsByColumn(r).get(column)).filter((e): e is ComparedEvaluation => e != null);
  const ea = inColumn(a);
  const eb = inColumn(b);
  if (ea.length === 0 || eb.length === 0) return { problem: `both need an evaluation in ${column}` };
  const kinds = new Set([...ea, ...eb].map(episodesOf));
  if (kinds.size > 1) return { problem: `evaluated on different episodes (${[...kinds].join('; ')})` };
  return pairedDifference(episodeMeans(ea), episodeMeans(eb));
}

/** Per-episode accuracies of evaluations on the same episodes, averaged over them (the seeds). */
function episodeMeans(es: readonly ComparedEvaluation[]): number[] {
  return Array.from(
    { length: es[0]!.accuracies.length },
    (_, i) => es.reduce((s, e) => s + e.accuracies[i]!, 0) / es.length,
  );
}
