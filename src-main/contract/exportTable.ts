/**
 * The results table as CSV (tidy: one line per cell), Markdown and LaTeX (booktabs). Accuracies in
 * percent, mean ± 95% CI; the best of each column in bold, cells within the best's CI marked †;
 * published figures (a protocol preset's) in italics, never bold or †.
 */
import { type ResultsCell, type ResultsTable, intervalNote, marksTaskInterval, tieNote } from './results';

export const EXPORT_FORMATS = ['csv', 'md', 'latex'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const pct = (x: number) => (100 * x).toFixed(2);
const ci = (c: ResultsCell) => (Number.isFinite(c.ci95) ? pct(c.ci95) : '?');

/** What the cells measure: the meta-test split's seeded episodes, an episode file's, or both. */
function measured(table: ResultsTable): string {
  const sources = new Set(table.columnSources ?? []);
  if (!sources.has('file')) return 'Meta-test accuracy (%)';
  if (!sources.has('split')) return 'Accuracy (%) on the episodes of the episode file named by each column';
  return "Accuracy (%) on each column's episodes: the dataset's seeded meta-test episodes, or those of the episode file the column names";
}
const PUBLISHED_NOTE = ' Italics: published figures, not measured here.';

/** The caption: what the intervals are over, cell by cell, the seeds behind them, and the † rule. */
export function noteOf(table: ResultsTable): string {
  const tie = tieNote(table);
  return `${measured(table)} with ${intervalNote(table)}. Bold: best of its column${tie ? `; ${tie}` : ''}.${table.rows.some((r) => r.published) ? PUBLISHED_NOTE : ''}${tuningNote(table)}${provenanceNote(table)}`;
}

/**
 * §: the rows whose configuration a sweep chose on meta-validation, each with its trials, the
 * space searched and the values chosen (then trained again on fresh seeds and meta-tested).
 */
export function tuningNote(table: ResultsTable): string {
  const rows = table.rows
    .map((r) => ({ method: r.method, tuning: r.cells.find((c) => c?.tuning)?.tuning }))
    .filter((r) => r.tuning);
  if (!rows.length) return '';
  const each = rows
    .map(
      ({ method, tuning: t }) =>
        `${method}: ${t!.trials} trial${t!.trials === 1 ? '' : 's'} over ${t!.space}; chose ${t!.chosen}`,
    )
    .join('. ');
  return ` §: tuned on validation, then trained again on fresh seeds and meta-tested once (${each}).`;
}

/** The software and machines behind the measured cells (each run records its own). */
export function provenanceNote(table: ResultsTable): string {
  const p = table.provenance;
  if (!p) return '';
  return ` Trained with ${p.software.join('; or ')}, on ${p.machines.join('; or ')}.`;
}

function csvField(v: string | number | boolean): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(table: ResultsTable): string {
  const lines = [
    [
      'method',
      'setting',
      'accuracy_percent',
      'ci95_percent',
      'seeds',
      'tasks',
      'best',
      'tie',
      'published',
      'interval_over',
      'tie_rule',
      'software',
      'machines',
      'tuned_on_validation_trials',
      'search_space',
      'chosen_values',
    ].join(','),
  ];
  for (const row of table.rows) {
    row.cells.forEach((c, j) => {
      if (!c) return;
      lines.push(
        [
          row.method,
          table.columns[j]!,
          (100 * c.mean).toFixed(4),
          Number.isFinite(c.ci95) ? (100 * c.ci95).toFixed(4) : '',
          c.seeds,
          c.tasks,
          c.best,
          c.tie,
          row.published === true,
          row.published ? '' : c.basis,
          c.tieRule ?? '',
          row.published ? '' : (c.software?.join(' | ') ?? ''),
          row.published ? '' : (c.machines?.join(' | ') ?? ''),
          c.tuning?.trials ?? '',
          c.tuning?.space ?? '',
          c.tuning?.chosen ?? '',
        ]
          .map(csvField)
          .join(','),
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

function mdText(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/([*_`])/g, '\\$1');
}

export function toMarkdown(table: ResultsTable): string {
  const cell = (c: ResultsCell | null, published = false) => {
    if (!c) return '–';
    const text = `${pct(c.mean)} ± ${ci(c)}`;
    if (published) return `_${text}_`;
    const marks = `${c.tie ? '†' : ''}${marksTaskInterval(table, c) ? '‡' : ''}${c.tuning ? '§' : ''}`;
    return c.best ? `**${text}**${marks}` : `${text}${marks}`;
  };
  const lines = [
    `| Method | ${table.columns.map(mdText).join(' | ')} |`,
    `| --- | ${table.columns.map(() => '---').join(' | ')} |`,
    ...table.rows.map(
      (r) => `| ${mdText(r.method)} | ${r.cells.map((c) => cell(c, r.published)).join(' | ')} |`,
    ),
  ];
  return `${lines.join('\n')}\n\n${noteOf(table)}\n`;
}

/**
 * The settings' labels and the notes use Greek letters and mathematical signs (α, ε, ∈, ≥, ×).
 * pdfLaTeX, still the default for most venues, stops at each with "Unicode character α not set
 * up for use with LaTeX": they are written as the commands every engine knows. Letters with
 * accents are left as they are (LaTeX reads UTF-8 and sets them since 2018).
 */
const GREEK =
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi o pi rho varsigma sigma tau upsilon phi chi psi omega'.split(
    ' ',
  );
const MATH: Record<string, string> = {
  ...Object.fromEntries(
    GREEK.map((name, i) => [String.fromCodePoint(0x3b1 + i), name === 'o' ? 'o' : `\\${name}`]),
  ),
  Γ: '\\Gamma',
  Δ: '\\Delta',
  Θ: '\\Theta',
  Λ: '\\Lambda',
  Σ: '\\Sigma',
  Φ: '\\Phi',
  Ψ: '\\Psi',
  Ω: '\\Omega',
  '·': '\\cdot',
  '×': '\\times',
  '±': '\\pm',
  '−': '-',
  '≥': '\\geq',
  '≤': '\\leq',
  '≈': '\\approx',
  '∈': '\\in',
  '√': '\\surd',
  '→': '\\rightarrow',
  '←': '\\leftarrow',
  '†': '^\\dagger',
  '‡': '^\\ddagger',
};
const TEXT: Record<string, string> = {
  '§': '\\S{}',
  '–': '--',
  '—': '---',
  '…': '\\ldots{}',
  '‘': '`',
  '’': "'",
  '“': '``',
  '”': "''",
};

/**
 * Text for LaTeX's text mode: its ten special characters escaped, and the signs pdfLaTeX cannot
 * read as commands (Greek letters and mathematical signs in math mode).
 */
export function latexEscape(s: string): string {
  return s
    .replace(/[\\&%$#_{}~^]/g, (ch) => {
      switch (ch) {
        case '\\':
          return '\\textbackslash{}';
        case '~':
          return '\\textasciitilde{}';
        case '^':
          return '\\textasciicircum{}';
        default:
          return `\\${ch}`;
      }
    })
    .replace(/./gu, (ch) =>
      Object.hasOwn(MATH, ch) ? `$${MATH[ch]}$` : Object.hasOwn(TEXT, ch) ? TEXT[ch]! : ch,
    );
}

export function toLatex(table: ResultsTable, caption = noteOf(table)): string {
  const cell = (c: ResultsCell | null, published = false) => {
    if (!c) return '--';
    const body = `${pct(c.mean)} \\pm ${ci(c)}`;
    if (published) return `\\textit{$${body}$}`;
    const marks = `${c.tie ? '\\dagger' : ''}${marksTaskInterval(table, c) ? '\\ddagger' : ''}${c.tuning ? '\\S' : ''}`;
    const sup = marks ? `^{${marks}}` : '';
    return c.best ? `$\\mathbf{${body}}${sup}$` : `$${body}${sup}$`;
  };
  return [
    '% \\usepackage{booktabs}',
    '\\begin{table}[t]',
    '  \\centering',
    `  \\begin{tabular}{l${'c'.repeat(table.columns.length)}}`,
    '    \\toprule',
    `    Method & ${table.columns.map(latexEscape).join(' & ')} \\\\`,
    '    \\midrule',
    ...table.rows.map(
      (r) => `    ${latexEscape(r.method)} & ${r.cells.map((c) => cell(c, r.published)).join(' & ')} \\\\`,
    ),
    '    \\bottomrule',
    '  \\end{tabular}',
    `  \\caption{${latexEscape(caption)}}`,
    '\\end{table}',
    '',
  ].join('\n');
}

export function exportTable(table: ResultsTable, format: ExportFormat): string {
  return format === 'csv' ? toCsv(table) : format === 'md' ? toMarkdown(table) : toLatex(table);
}

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { csv: 'csv', md: 'md', latex: 'tex' };
