import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src-main/contract/config';
import { METRIC_KEYS } from '../../src-main/contract/records';
import {
  RUN_COLUMN_CHOICES,
  formatRunColumnValue,
  knownRunColumns,
  parseRunColumn,
  runColumnLabel,
  toRunColumnValue,
} from '../../src-main/contract/runColumns';

describe('runs-table columns', () => {
  it('every setting of the registry and every metric key can be a column, by label', () => {
    expect(RUN_COLUMN_CHOICES).toHaveLength(SETTINGS.length + Object.keys(METRIC_KEYS).length);
    expect(runColumnLabel('setting:concept.generatorLr')).toBe(
      SETTINGS.find((s) => s.path === 'concept.generatorLr')!.label,
    );
    expect(runColumnLabel('metric:val/accuracy')).toBe('Validation accuracy');
    expect(parseRunColumn('metric:train/loss')).toEqual({
      id: 'metric:train/loss',
      kind: 'metric',
      path: 'train/loss',
    });
    expect(parseRunColumn('setting:nothing')).toBeNull();
  });

  it('a stored choice keeps its known columns once each, in order', () => {
    expect(knownRunColumns(['setting:shots', 'bogus', 'metric:train/loss', 'setting:shots', 3])).toEqual([
      'setting:shots',
      'metric:train/loss',
    ]);
    expect(knownRunColumns('setting:shots')).toEqual([]);
    expect(knownRunColumns(null)).toEqual([]);
  });

  it('values: numbers stay numbers; lists and sections joined; accuracies as percentages', () => {
    expect(toRunColumnValue(5)).toBe(5);
    expect(toRunColumnValue([0.1, 0.2])).toBe('0.1, 0.2');
    expect(toRunColumnValue({ train: 0.6, val: 0.2, test: 0.2 })).toBe('0.6 / 0.2 / 0.2');
    expect(toRunColumnValue(undefined)).toBeNull();
    expect(formatRunColumnValue('metric:val/accuracy', 0.51234)).toBe('51.23%');
    expect(formatRunColumnValue('metric:train/loss', 1.234567)).toBe('1.235');
    expect(formatRunColumnValue('setting:mann.shuffledLabels', true)).toBe('yes');
    expect(formatRunColumnValue('setting:shots', null)).toBe('–');
  });
});
