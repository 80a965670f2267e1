/**
 * docs/config.md, the reference of every training setting, generated from the settings'
 * descriptions (`npm run docs:config` writes it; test/contract/settings.test.ts checks it is
 * current).
 */
import { LEARNERS, LEARNER_INFO } from './learners';
import { SETTINGS } from './config';
import { SETTING_GROUPS, type SettingDescription } from './settings';

function shown(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) return Object.values(value).join(',');
  return String(value);
}

function appliesTo(s: SettingDescription): string {
  if (s.learners)
    return s.learners.map((l) => LEARNER_INFO[l as keyof typeof LEARNER_INFO]?.short ?? l).join(', ');
  if (s.adaptingLearners)
    return LEARNERS.filter((l) => LEARNER_INFO[l].adaptsAtTestTime)
      .map((l) => LEARNER_INFO[l].short)
      .join(', ');
  if (s.space) return `the ${s.space} space`;
  return 'all';
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
