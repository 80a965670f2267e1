/**
 * docs/config.md, the reference of every training setting, generated from the settings'
 * descriptions (`npm run docs:config` writes it; test/contract/settings.test.ts checks it is
 * current).
 */
import { LEARNERS, LEARNER_INFO, type LearnerName, readsSetting } from './learners';
import { SETTINGS } from './config';
import { SETTING_GROUPS, type SettingDescription } from './settings';

function shown(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) return Object.values(value).join(',');
  return String(value);
}

/** The learners that read a setting, in each space, as readsSetting answers (the form's rule). */
function appliesTo(s: SettingDescription): string {
  const readers = (space: 'pixels' | 'concept') =>
    LEARNERS.filter((learner) => readsSetting(s.path, { learner, space }));
  const short = (learners: readonly LearnerName[]) => learners.map((l) => LEARNER_INFO[l].short).join(', ');
  const named = (learners: readonly LearnerName[]) => {
    const others = LEARNERS.filter((l) => !learners.includes(l));
    if (!others.length) return 'all';
    return others.length <= 2 ? `all but ${short(others)}` : short(learners);
  };
  const [pixels, concept] = [readers('pixels'), readers('concept')];
  if (pixels.join() === concept.join()) return named(pixels);
  if (!pixels.length)
    return concept.length === LEARNERS.length ? 'the concept space' : `${named(concept)} (concept space)`;
  if (!concept.length)
    return pixels.length === LEARNERS.length ? 'the pixels space' : `${named(pixels)} (pixels)`;
  return `pixels: ${named(pixels)}; concept space: ${named(concept)}`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function configReferenceMarkdown(): string {
  const lines = [
    '# Training settings',
    '',
    '<!-- Generated from the config schema (src-main/contract/config.ts) by `npm run docs:config`. Do not edit. -->',
    '',
    'Every setting of an experiment, as `deml train` and `deml launch` take it (`--flag value`, or',
    'the config path in a `--config` JSON file) and as the new-experiment form shows it (the label).',
    '',
  ];
  for (const group of SETTING_GROUPS) {
    const rows = SETTINGS.filter((s) => s.group === group);
    if (rows.length === 0) continue;
    lines.push(`## ${group}`, '', '| Setting | Flag | Config path | Default | Applies to | What it does |');
    lines.push('| --- | --- | --- | --- | --- | --- |');
    for (const s of rows) {
      const values = s.options ? ` One of: ${s.options.join(', ')}.` : '';
      const unit = s.unit ? ` (${s.unit})` : '';
      lines.push(
        `| ${cell(s.label)} | \`--${s.flag}\` | \`${s.path}\` | ${cell(shown(s.defaultValue))}${unit} | ${appliesTo(s)} | ${cell(s.help)}.${values} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## Learners',
    '',
    '| Name | Learner | Family | Order | Paper |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const l of LEARNERS) {
    const i = LEARNER_INFO[l];
    lines.push(`| \`${l}\` | ${i.label} | ${i.family} | ${i.order} | ${i.paper} |`);
  }
  return `${lines.join('\n')}\n`;
}
