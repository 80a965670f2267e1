/** Command-line values as a person writes them: decimal numbers only, a BOM'd config, bounded synthetic data. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src-main/contract/config';
import { configFromFlags, readConfigFile } from '../../src-main/cli/args';
import { decimalNumber, intFlag } from '../../src-main/cli/usage';
import { parseSyntheticSpec } from '../../src-main/data/resolve';
import { main } from '../../src-main/cli/main';
import { tempDirs } from '../helpers/temp';

const temp = tempDirs('deml-args');

describe('command-line values', () => {
  it('reads decimal numbers only: 0x5, 0b11 and an empty value are refused, not read as 5, 3 and 0', () => {
    expect(decimalNumber('5')).toBe(5);
    expect(decimalNumber(' 1e-3 ')).toBe(0.001);
    expect(decimalNumber('.5')).toBe(0.5);
    for (const raw of ['0x5', '0b11', '0o7', '', ' ', 'Infinity', '5x'])
      expect(decimalNumber(raw), raw).toBeNaN();
    expect(() => configFromFlags({}, { ways: '0x5' })).toThrow(/--ways expects an integer, got '0x5'/);
    expect(() => configFromFlags({}, { stages: '1,0x1' })).toThrow(ConfigError);
    expect(() => intFlag('ways', '0x5')).toThrow(/--ways expects an integer ≥ 1, got '0x5'/);
  });

  it('accepts a config file saved with a UTF-8 byte-order mark', () => {
    const path = join(temp(), 'bom.json');
    writeFileSync(path, `\uFEFF${JSON.stringify({ ways: 3 })}`);
    expect(readConfigFile(path)).toEqual({ ways: 3 });
  });

  it('refuses a synthetic dataset too large to hold, with its size, before allocating it', () => {
    expect(() => parseSyntheticSpec('synthetic:classes=1e8')).toThrow(
      /synthetic:classes=1e8 would take 1460\.3 GiB of pixels; a synthetic dataset may take at most 1 GiB/,
    );
    expect(parseSyntheticSpec('synthetic:classes=60,size=16')).toEqual({ classes: 60, size: 16 });
  });

  it('a bad dataset name is a usage error (exit 2)', async () => {
    const code = await main([
      'data',
      'import',
      '--format',
      'folder',
      '--name',
      'bad name',
      temp(),
      '--data-dir',
      temp(),
    ]);
    expect(code).toBe(2);
  });
});
