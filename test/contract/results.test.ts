/** Comparison statistics and exports, against values computed by hand. */
import { describe, expect, it } from 'vitest';
import { parseExperimentConfig, type ExperimentConfigInput } from '../../src-main/contract/config';
import { latexEscape, noteOf, toCsv, toLatex, toMarkdown } from '../../src-main/contract/exportTable';
import {
  type ComparedEvaluation,
  type ComparedRun,
  comparePaired,
  differingKeys,
  groupRuns,
  groupRunsBy,
  meanCi,
  pairedDifference,
  pairedInColumn,
  resultsTable,
  summarize,
  t95,
  tieNote,
} from '../../src-main/contract/results';

let nextId = 1;
function run(config: ExperimentConfigInput, accuracies: number[] | null, episodeSeed = 0): ComparedRun {
  const mean = accuracies ? accuracies.reduce((a, b) => a + b, 0) / accuracies.length : 0;
  return {
    id: nextId++,
    config: parseExperimentConfig({ data: 'glyphs', ...config }),
    test: accuracies && {
      mean,
      ci95: 0.01,
      tasks: accuracies.length,
      accuracies,
      episodeSeed,
      ways: config.ways ?? 5,
      shots: config.shots ?? 1,
      queries: 15,
    },
  };
}

describe('intervals', () => {
  it('mean ± t·s/√n across seeds (t with n − 1 degrees of freedom)', () => {
    const { mean, ci95, n } = meanCi([0.5, 0.7, 0.6]);
    expect(mean).toBeCloseTo(0.6, 12);
    // s = 0.1, t(2) = 4.303: 4.303 · 0.1 / √3 = 0.248434…
    expect(ci95).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 12);
    expect(n).toBe(3);
    expect(meanCi([0.4]).ci95).toBeNaN();
    expect(t95(1)).toBe(12.706);
    // Past the table, Student's t continues smoothly toward the normal's 1.96 (reference values).
    expect(t95(30)).toBe(2.042);
    expect(t95(31)).toBeCloseTo(2.0395, 3);
    expect(t95(60)).toBeCloseTo(2.0003, 3);
    expect(t95(500)).toBeCloseTo(1.9647, 3);
  });

  it('paired difference: mean of per-episode differences with its own interval', () => {
    const d = pairedDifference([1, 0.8, 0.6, 0.4], [0.8, 0.8, 0.4, 0.4]);
    // d = [0.2, 0, 0.2, 0]: mean 0.1, s = √(0.04/3), t(3) = 3.182 → 3.182 · s / 2.
    expect(d.mean).toBeCloseTo(0.1, 12);
    expect(d.ci95).toBeCloseTo((3.182 * Math.sqrt(0.04 / 3)) / 2, 12);
    expect(d.wins).toBe(0.5);
    expect(d.tasks).toBe(4);
  });

  it('pairing removes the shared episode difficulty: far tighter than two independent intervals', () => {
    const hardness = Array.from({ length: 200 }, (_, i) => 0.3 + (0.6 * ((i * 7919) % 200)) / 200);
    const a = hardness.map((h, i) => Math.min(1, h + 0.03 + (i % 3) * 0.005));
    const b = hardness;
    const paired = pairedDifference(a, b);
    const independent = meanCi(a).ci95 + meanCi(b).ci95;
    expect(paired.mean).toBeGreaterThan(0);
    expect(paired.ci95).toBeLessThan(independent / 10);
  });
});

describe('grouping and what differs', () => {
  it('groups seeds of the same configuration and labels groups by what differs', () => {
    const runs = [
      run({ learner: 'maml', seed: 0 }, [0.6, 0.8]),
      run({ learner: 'maml', seed: 1 }, [0.4, 0.6]),
      run({ learner: 'metasgd', seed: 0 }, [0.9, 0.9]),
    ];
    const groups = groupRuns(runs);
    expect(groups.map((g) => [g.label, g.seeds, g.settings])).toEqual([
      ['MAML', [0, 1], { learner: 'maml' }],
      ['Meta-SGD', [0], { learner: 'metasgd' }],
    ]);
    // Two seeds: across them, t(1) = 12.7 would say nothing; the interval is over the tasks, on
    // the seeds' per-episode means [0.5, 0.7], and says so.
    expect(groups[0]!.test).toMatchObject({ seeds: 2, basis: 'tasks', n: 2 });
    expect(groups[0]!.test!.mean).toBeCloseTo(0.6, 12);
    expect(groups[0]!.test!.ci95).toBeCloseTo(meanCi([0.5, 0.7]).ci95, 12);
    // One seed: its own task interval.
    expect(groups[1]!.test).toEqual({ mean: 0.9, ci95: 0.01, n: 2, seeds: 1, basis: 'tasks' });
    // Three seeds: means 0.7, 0.5, 0.6 → t(2) · s / √3 with s = 0.1, across the seeds.
    const three = groupRuns([...runs, run({ learner: 'maml', seed: 2 }, [0.5, 0.7])]);
    expect(three[0]!.test).toMatchObject({ seeds: 3, basis: 'seeds', n: 3 });
    expect(three[0]!.test!.ci95).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 12);
    // Paired: per-episode means over seeds [0.5, 0.7] against [0.9, 0.9].
    const paired = comparePaired(groups[0]!, groups[1]!);
    expect('mean' in paired && paired.mean).toBeCloseTo(-0.3, 12);
    expect(
      differingKeys([
        { a: 1, m: { f: 2 } },
        { a: 1, m: { f: 3 } },
      ]),
    ).toEqual(['m.f']);
  });

  it('leaves out the settings a learner never reads: they neither label nor split its groups', () => {
    const groups = groupRuns([
      run({ learner: 'protonet', metaBatch: 4, seed: 0 }, [0.8]),
      // Another seed of the same ProtoNet cell: a MANN's and Meta-SGD's settings mean nothing to it.
      run({ learner: 'protonet', metaBatch: 4, seed: 1, mann: { batch: 4 }, metaSgdInit: [0.1, 0.2] }, [0.7]),
      run({ learner: 'mann', metaBatch: 1, mann: { batch: 4 }, shots: 5 }, [0.3]),
      run({ learner: 'maml', metaBatch: 4, innerLr: 0.1 }, [0.6]),
      run({ learner: 'maml', metaBatch: 4, innerLr: 0.4 }, [0.6]),
    ]);
    expect(groups.map((g) => [g.label, g.seeds])).toEqual([
      ['ProtoNet · Meta-batch 4', [0, 1]],
      ['MANN · Meta-batch 1', [0]],
      ['MAML · Inner learning rate α 0.1 · Meta-batch 4', [0]],
      ['MAML · Inner learning rate α 0.4 · Meta-batch 4', [0]],
    ]);
    expect(resultsTable(groups.flatMap((g) => g.runs)).rows.map((r) => r.method)).toEqual([
      'ProtoNet · Meta-batch 4',
      'MANN · Meta-batch 1',
      'MAML · Inner learning rate α 0.1 · Meta-batch 4',
      'MAML · Inner learning rate α 0.4 · Meta-batch 4',
    ]);
  });

  it('refuses to pair evaluations on different episodes', () => {
    const a = groupRuns([run({ learner: 'maml' }, [0.5, 0.5], 0)]);
    const b = groupRuns([run({ learner: 'metasgd' }, [0.5, 0.5], 1)]);
    expect(comparePaired(a[0]!, b[0]!)).toEqual({ problem: 'different episode seeds (0, 1)' });
  });

  it('summarizes a series by last, best, min or max; best is the min of a loss', () => {
    expect(summarize([0.2, 0.9, 0.5], 'last', 'val/accuracy')).toBe(0.5);
    expect(summarize([0.2, 0.9, 0.5], 'best', 'val/accuracy')).toBe(0.9);
    expect(summarize([2, 0.4, 1], 'best', 'train/loss')).toBe(0.4);
    expect(summarize([2, 0.4, 1], 'max', 'train/loss')).toBe(2);
    expect(summarize([2, 0.4, 1], 'min', 'train/loss')).toBe(0.4);
  });
});

describe('the results table and its exports', () => {
  const runs = [
    run({ learner: 'maml', shots: 1 }, [0.5, 0.6]),
    run({ learner: 'metasgd', shots: 1 }, [0.7, 0.8]),
    run({ learner: 'maml', shots: 5 }, [0.9, 0.9]),
    run({ learner: 'metasgd', shots: 5 }, [0.88, 0.9]),
    run({ learner: 'protonet', shots: 5 }, null),
  ];
  const table = resultsTable(runs);

  it('has methods as rows, settings as columns, the best bold and ties within CI marked', () => {
    expect(table.columns).toEqual(['glyphs 5-way 1-shot, 15 queries', 'glyphs 5-way 5-shot, 15 queries']);
    expect(table.rows.map((r) => r.method)).toEqual(['MAML', 'Meta-SGD']);
    const [maml, metasgd] = table.rows;
    expect(metasgd!.cells[0]).toMatchObject({ best: true, tie: false });
    expect(maml!.cells[0]).toMatchObject({ best: false, tie: false }); // 55 ± 1 vs 75 ± 1
    expect(maml!.cells[1]).toMatchObject({ best: true });
    expect(metasgd!.cells[1]).toMatchObject({ best: false, tie: true }); // 89 ± 1 overlaps 90 ± 1
  });

  it('marks † by the paired test where both saw the same episodes, by overlapping intervals elsewhere, and says which', () => {
    // Forty episodes of very different difficulty; Meta-SGD is 3 points better on every one.
    const hard = Array.from({ length: 40 }, (_, i) => 0.3 + 0.6 * (((i * 37) % 40) / 40));
    const withCi = (r: ComparedRun): ComparedRun => ({
      ...r,
      test: r.test && { ...r.test, ci95: meanCi(r.test.accuracies).ci95 },
    });
    const maml = withCi(run({ learner: 'maml' }, hard));
    const metasgd = withCi(
      run(
        { learner: 'metasgd' },
        hard.map((h) => h + 0.03),
      ),
    );
    // Their intervals overlap widely…
    expect(maml.test!.mean + maml.test!.ci95).toBeGreaterThan(metasgd.test!.mean - metasgd.test!.ci95);
    // …but on the same episodes the difference is certain: no †.
    const paired = resultsTable([maml, metasgd]);
    expect(paired.rows[0]!.cells[0]).toMatchObject({ best: false, tie: false, tieRule: 'paired' });
    expect(tieNote(paired)).toBe(
      '†: not distinguishable from the best (the paired per-episode difference from the best includes 0)',
    );
    // On other episodes only the intervals can be compared, and they overlap: †.
    const apart = resultsTable([
      maml,
      withCi(
        run(
          { learner: 'metasgd' },
          hard.map((h) => h + 0.03),
          9,
        ),
      ),
    ]);
    expect(apart.rows[0]!.cells[0]).toMatchObject({ best: false, tie: true, tieRule: 'intervals' });
    expect(toLatex(apart)).toContain("its 95\\% interval overlaps the best one's");
    expect(toMarkdown(paired)).toMatch(
      /over the column's meta-test episodes, the cell's seeds pooled \(n = 1 seed: [^\n]*paired per-episode/,
    );
  });

  it('groups by any one setting, pooling the others; a run that never reads it is "not used"', () => {
    const g = groupRunsBy(
      [
        run({ learner: 'maml', innerLr: 0.1 }, [0.5]),
        run({ learner: 'maml', innerLr: 0.4 }, [0.7]),
        run({ learner: 'metasgd', innerLr: 0.4 }, [0.6]),
        run({ learner: 'protonet', innerLr: 0.4 }, [0.8]),
      ],
      ['innerLr'],
    );
    expect(g.map((x) => [x.label, x.runs.length])).toEqual([
      ['Inner learning rate α 0.1', 1],
      ['Inner learning rate α 0.4', 1],
      // Meta-SGD learns its rates and ProtoNet adapts nothing: neither reads α.
      ['Inner learning rate α not used', 2],
    ]);
    expect(g[2]!.test!.mean).toBeCloseTo(0.7, 10);
  });

  it('marks ‡ the cells whose interval is over tasks where others are across seeds, and says which is which', () => {
    const seeded = (learner: 'maml' | 'metasgd', seed: number, base: number) =>
      run({ learner, seed }, [base, base + 0.1, base + 0.05]);
    // MAML: 3 seeds (an interval across seeds); Meta-SGD: 1 seed (over its tasks).
    const mixed = resultsTable([
      seeded('maml', 0, 0.5),
      seeded('maml', 1, 0.6),
      seeded('maml', 2, 0.55),
      seeded('metasgd', 0, 0.6),
    ]);
    const [maml, metasgd] = mixed.rows;
    expect(maml!.cells[0]).toMatchObject({ basis: 'seeds', seeds: 3 });
    expect(metasgd!.cells[0]).toMatchObject({ basis: 'tasks', seeds: 1 });
    const md = toMarkdown(mixed);
    expect(md).toMatch(/^\| MAML \| [\d.]+ ± [\d.]+ \|$/m); // across seeds: unmarked
    expect(md).toMatch(/^\| Meta-SGD \| (\*\*)?[\d.]+ ± [\d.]+(\*\*)?‡ \|$/m);
    expect(noteOf(mixed)).toContain(
      "unmarked, across each cell's seeds (n = 3 seeds); ‡, over the column's meta-test episodes, the cell's seeds pooled (n = 1 seed",
    );
    const latex = toLatex(mixed);
    expect(latex).toMatch(/\^\{\\ddagger\}\$/);
    expect(latex).toContain('$^\\ddagger$, over the column');
    // One kind of interval in the whole table: no mark, and the note names that kind only.
    const uniform = resultsTable([seeded('maml', 0, 0.5), seeded('metasgd', 0, 0.6)]);
    expect(toMarkdown(uniform)).not.toContain('‡');
    expect(noteOf(uniform)).not.toContain('unmarked');
  });

  it('names the software and machines the runs trained with, in the note and the CSV', () => {
    const provenance = {
      commit: '0123456789ab',
      node: 'v20.20.2',
      tfjs: '4.22.0',
      backend: 'wasm: @tensorflow/tfjs-backend-wasm 4.22.0',
      os: 'Linux 6.1 x64',
      cpu: '2 × AMD EPYC',
      memoryBytes: 24 * 2 ** 30,
      gpu: null,
      host: 'node1',
    };
    const traced = resultsTable(runs.map((r) => ({ ...r, provenance })));
    expect(noteOf(traced)).toContain(
      'Trained with commit 0123456789ab · Node v20.20.2 · tfjs 4.22.0 · wasm: @tensorflow/tfjs-backend-wasm 4.22.0, on node1 · Linux 6.1 x64 · 2 × AMD EPYC · 24.0 GiB · no GPU.',
    );
    expect(toCsv(traced).split('\n')[1]).toMatch(
      /,commit 0123456789ab · Node v20\.20\.2 · [^,]*,node1 · Linux 6\.1 x64 · /,
    );
    // Each cell's CSV line names its own runs' machines: one run on another host.
    const mixed = resultsTable(
      runs.map((r, i) => ({ ...r, provenance: i === 0 ? { ...provenance, host: 'node2' } : provenance })),
    );
    const lines = toCsv(mixed).trim().split('\n').slice(1);
    expect(lines.filter((l) => l.includes(',node2 · ')).length).toBe(1);
    expect(noteOf(mixed)).toContain('on node2 · Linux 6.1 x64 · 2 × AMD EPYC · 24.0 GiB · no GPU; or node1');
    // Runs from before provenance was recorded: nothing claimed.
    expect(noteOf(table)).not.toContain('Trained with');
  });

  it('exports CSV (tidy, quoted where needed)', () => {
    expect(toCsv(table)).toBe(
      [
        'method,setting,accuracy_percent,ci95_percent,seeds,tasks,best,tie,published,interval_over,tie_rule,software,machines,tuned_on_validation_trials,search_space,chosen_values',
        'MAML,"glyphs 5-way 1-shot, 15 queries",55.0000,1.0000,1,2,false,false,false,tasks,paired,,,,,',
        'MAML,"glyphs 5-way 5-shot, 15 queries",90.0000,1.0000,1,2,true,false,false,tasks,,,,,,',
        'Meta-SGD,"glyphs 5-way 1-shot, 15 queries",75.0000,1.0000,1,2,true,false,false,tasks,,,,,,',
        'Meta-SGD,"glyphs 5-way 5-shot, 15 queries",89.0000,1.0000,1,2,false,true,false,tasks,paired,,,,,',
        '',
      ].join('\n'),
    );
    const odd = { columns: ['a, "b"'], rows: [{ method: 'x,y', cells: [null] }] };
    expect(toCsv(odd)).toBe(
      'method,setting,accuracy_percent,ci95_percent,seeds,tasks,best,tie,published,interval_over,tie_rule,software,machines,tuned_on_validation_trials,search_space,chosen_values\n',
    );
    const one = {
      ...table,
      columns: ['set "1", 5-way'],
      rows: [{ method: 'MAML, λ="0"', cells: [table.rows[0]!.cells[0]!] }],
    };
    expect(toCsv(one).split('\n')[1]).toBe(
      '"MAML, λ=""0""","set ""1"", 5-way",55.0000,1.0000,1,2,false,false,false,tasks,paired,,,,,',
    );
  });

  it('exports Markdown with bold best, † ties and escaped pipes', () => {
    const md = toMarkdown(table);
    expect(md.split('\n').slice(0, 4)).toEqual([
      '| Method | glyphs 5-way 1-shot, 15 queries | glyphs 5-way 5-shot, 15 queries |',
      '| --- | --- | --- |',
      '| MAML | 55.00 ± 1.00 | **90.00 ± 1.00** |',
      '| Meta-SGD | **75.00 ± 1.00** | 89.00 ± 1.00† |',
    ]);
    const piped = toMarkdown({ columns: ['a|b'], rows: [{ method: 'x|y_z', cells: [null] }] });
    expect(piped).toContain('| Method | a\\|b |');
    expect(piped).toContain('| x\\|y\\_z | – |');
  });

  it('exports LaTeX with booktabs and every special character escaped', () => {
    const tex = toLatex(table, 'Omniglot-like glyphs');
    expect(tex).toContain('\\begin{tabular}{lcc}');
    expect(tex).toContain('\\toprule');
    expect(tex).toContain('    MAML & $55.00 \\pm 1.00$ & $\\mathbf{90.00 \\pm 1.00}$ \\\\');
    expect(tex).toContain('    Meta-SGD & $\\mathbf{75.00 \\pm 1.00}$ & $89.00 \\pm 1.00^{\\dagger}$ \\\\');
    expect(tex).toContain('\\bottomrule');
    expect(tex).toContain('\\caption{Omniglot-like glyphs}');
    expect(latexEscape('a_b & 50% #1 {x} ~ ^ \\ $')).toBe(
      'a\\_b \\& 50\\% \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{} \\$',
    );
    expect(latexEscape('MAML · concept space')).toBe('MAML $\\cdot$ concept space');
    // pdfLaTeX stops at a Greek letter or a mathematical sign given as UTF-8 ("Unicode character β
    // not set up for use with LaTeX"; checked with TeX Live 2022): every one the labels and notes
    // use becomes a command.
    expect(latexEscape('Inner learning rate α ∈ {0.1, 0.4}; γ ≥ 2 × 3 − 1 ≈ √n → ε–θ …')).toBe(
      'Inner learning rate $\\alpha$ $\\in$ \\{0.1, 0.4\\}; $\\gamma$ $\\geq$ 2 $\\times$ 3 $-$ 1 $\\approx$ $\\surd$n $\\rightarrow$ $\\epsilon$--$\\theta$ \\ldots{}',
    );
    const labelled = toLatex({
      columns: ['glyphs 5-way 1-shot · α = 0.4', 'λ ≤ 0.5, η = 1e-3 (“joint”)'],
      rows: [{ method: 'Meta-SGD · β ∈ log[0.001, 0.01] §', cells: [null, null] }],
    });
    expect([...labelled].every((ch) => ch.charCodeAt(0) < 128)).toBe(true); // ASCII only
    expect(labelled).toContain("$\\lambda$ $\\leq$ 0.5, $\\eta$ = 1e-3 (``joint'')");
  });
});

describe('a results table from evaluations', () => {
  /** An evaluation of a run: every episode scores `acc` but the first, which scores `first`. */
  const evaluation = (
    over: Partial<ComparedEvaluation> & { ways: number; shots: number },
    acc: number,
    id: number,
    first = acc,
  ): ComparedEvaluation => {
    const accuracies = [first, acc, acc, acc];
    return {
      id,
      dataset: 'omniglot',
      split: 'test',
      queries: 15,
      tasks: 4,
      episodeSeed: 0,
      mean: accuracies.reduce((a, b) => a + b, 0) / 4,
      ci95: 0.01,
      accuracies,
      ...over,
    };
  };
  const model = (
    learner: 'maml' | 'protonet',
    id: number,
    evaluations: ComparedEvaluation[],
  ): ComparedRun => ({
    id,
    config: parseExperimentConfig({ data: 'omniglot', learner }),
    test: evaluations[0]!,
    evaluations,
  });
  // One model each, trained 5-way 1-shot and evaluated three ways (the newest evaluation of a
  // column counts: MAML's 20-way 1-shot was evaluated twice).
  const runs = [
    model('maml', 1, [
      evaluation({ ways: 5, shots: 1 }, 0.9, 1),
      evaluation({ ways: 5, shots: 5 }, 0.95, 3),
      evaluation({ ways: 20, shots: 1 }, 0.5, 4),
      evaluation({ ways: 20, shots: 1 }, 0.7, 9),
      evaluation({ ways: 5, shots: 1, split: 'val' }, 0.1, 10),
    ]),
    model('protonet', 2, [
      evaluation({ ways: 5, shots: 1 }, 0.92, 2, 0.8),
      evaluation({ ways: 20, shots: 1 }, 0.8, 5),
      evaluation(
        { ways: 5, shots: 1, episodeFile: 'f'.repeat(64), episodeFileName: 'fixed.json', split: null },
        0.6,
        6,
      ),
    ]),
  ];

  it('has one column per dataset × N-way K-shot (and episode file), filled from each run’s evaluations', () => {
    const table = resultsTable(runs, [
      { method: 'MAML (Finn et al. 2017)', data: 'omniglot', ways: 20, shots: 1, mean: 0.958, ci95: 0.003 },
      { method: 'nowhere', data: 'other', ways: 5, shots: 1, mean: 0.5, ci95: 0.1 },
    ]);
    expect(table.columns).toEqual([
      'omniglot 5-way 1-shot, 15 queries',
      'omniglot 5-way 5-shot, 15 queries',
      'omniglot 20-way 1-shot, 15 queries',
      'fixed.json 5-way 1-shot (omniglot)',
    ]);
    const cells = table.rows.map((r) => [
      r.method,
      r.published ?? false,
      ...r.cells.map((c) => c && +c.mean.toFixed(4)),
    ]);
    // Evaluated at other shapes than they were trained at, the rows say how they were trained.
    expect(cells).toEqual([
      ['MAML · trained 5-way 1-shot, 15 queries', false, 0.9, 0.95, 0.7, null],
      ['ProtoNet · trained 5-way 1-shot, 15 queries', false, 0.89, null, 0.8, 0.6],
      ['MAML (Finn et al. 2017)', true, null, null, 0.958, null],
    ]);
    // Published figures are beside the cells, not in the contest for bold.
    expect(table.rows[1]!.cells[2]).toMatchObject({ best: true });
    expect(table.rows[2]!.cells[2]).toMatchObject({ best: false, tie: false });
    expect(toMarkdown(table)).toContain('| MAML (Finn et al. 2017) | – | – | _95.80 ± 0.30_ | – |');
    expect(toLatex(table)).toContain('\\textit{$95.80 \\pm 0.30$}');
    expect(toCsv(table)).toContain(
      'MAML (Finn et al. 2017),"omniglot 20-way 1-shot, 15 queries",95.8000,0.3000,0,0,false,false,true,,',
    );
  });

  it('says what the cells measure: an episode file’s column is no meta-test split', () => {
    expect(noteOf(resultsTable(runs))).toMatch(
      /^Accuracy \(%\) on each column's episodes: the dataset's seeded meta-test episodes, or those of the episode file/,
    );
    expect(noteOf(resultsTable([runs[0]!]))).toMatch(
      /^Meta-test accuracy \(%\) with 95% confidence intervals \(Student's t\)/,
    );
  });

  it('keeps 5 and 15 queries apart, and labels a run stopped early by the iterations it reached', () => {
    const at = (queries: number, step: number) =>
      evaluation({ ways: 20, shots: 1, queries, step }, 0.5, queries);
    const cancelled: ComparedRun = {
      id: 8,
      config: parseExperimentConfig({ data: 'omniglot', learner: 'maml', ways: 20, iterations: 1500 }),
      test: null,
      evaluations: [at(5, 589), at(15, 589)],
    };
    const table = resultsTable([cancelled]);
    expect(table.columns).toEqual([
      'omniglot 20-way 1-shot, 5 queries',
      'omniglot 20-way 1-shot, 15 queries',
    ]);
    expect(table.rows.map((r) => r.method)).toEqual([
      'MAML · 589 of 1500 iterations · trained 20-way 1-shot, 15 queries',
    ]);
    // Beside a completed run, iterations differ: the cancelled row says the iterations it reached.
    const completed: ComparedRun = {
      ...cancelled,
      id: 9,
      config: { ...cancelled.config, iterations: 2000 },
      evaluations: [at(15, 2000)],
    };
    expect(resultsTable([cancelled, completed]).rows.map((r) => r.method)).toEqual([
      'MAML · 589 iterations · trained 20-way 1-shot, 15 queries',
      'MAML · 2000 iterations · trained 20-way 1-shot, 15 queries',
    ]);
  });

  it('pairs two methods within a column when their episodes are the same, and says why not otherwise', () => {
    const groups = groupRuns(runs);
    const paired = pairedInColumn(groups[0]!, groups[1]!, 'omniglot 5-way 1-shot, 15 queries');
    // Per episode: [0.9 − 0.8, 0.9 − 0.92 ×3] → mean 0.01.
    expect('mean' in paired && paired.mean).toBeCloseTo(0.01, 12);
    expect(pairedInColumn(groups[0]!, groups[1]!, 'omniglot 5-way 5-shot, 15 queries')).toEqual({
      problem: 'both need an evaluation in omniglot 5-way 5-shot, 15 queries',
    });
    const other = model('protonet', 3, [evaluation({ ways: 20, shots: 1, episodeSeed: 7 }, 0.8, 7)]);
    expect(pairedInColumn(groups[0]!, groupRuns([other])[0]!, 'omniglot 20-way 1-shot, 15 queries')).toEqual({
      problem:
        'evaluated on different episodes (seed 0, 20-way 1-shot, 15 queries, 4 tasks; seed 7, 20-way 1-shot, 15 queries, 4 tasks)',
    });
  });

  it('gives a MANN its own column (its cell: the 2nd presentation) and, on request, one per presentation', () => {
    const byInstance = [0.2, 0.81, 0.9, 0.93, 0.94, 0.95, 0.95, 0.96, 0.96, 0.97].map((mean) => ({
      mean,
      ci95: 0.01,
    }));
    const mann: ComparedRun = {
      id: 4,
      config: parseExperimentConfig({ data: 'omniglot', learner: 'mann' }),
      test: evaluation({ ways: 5, shots: 0, instances: 10, byInstance, split: 'test' }, 0.81, 11),
    };
    const table = resultsTable([...runs, mann], [], { instances: [1, 2, 10, 11] });
    expect(table.columns).toEqual([
      'omniglot 5-way 1-shot, 15 queries',
      'omniglot 5-way 5-shot, 15 queries',
      'omniglot 20-way 1-shot, 15 queries',
      'fixed.json 5-way 1-shot (omniglot)',
      'omniglot 5-way, 10 presentations',
      'omniglot 5-way: 1st presentation',
      'omniglot 5-way: 2nd presentation',
      'omniglot 5-way: 10th presentation',
    ]);
    const row = table.rows.find((r) => r.method === 'MANN · trained 5-way, 10 presentations')!;
    expect(row.cells.map((c) => c && +c.mean.toFixed(4))).toEqual([
      null,
      null,
      null,
      null,
      0.81,
      0.2,
      0.81,
      0.97,
    ]);
    // Without the option, presentations stay off the table.
    expect(resultsTable([...runs, mann]).columns).toHaveLength(5);
  });
});
