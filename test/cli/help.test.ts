/** Every `deml` command answers --help (and -h) with its own usage, exit 0. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src-main/cli/main';

afterEach(() => vi.restoreAllMocks());

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, out };
}

describe('deml <command> --help', () => {
  const usages: Record<string, RegExp> = {
    train: /^usage: deml <command>/,
    data: /^deml data import --format/,
    preset: /^deml preset list/,
    export: /^deml export \(--experiment/,
    eval: /^deml eval \(--run ID/,
    serve: /^deml serve /,
    launch: /^deml launch /,
    runs: /deml runs/,
    cancel: /deml cancel/,
    resume: /deml resume/,
    doctor: /^deml doctor /,
  };
  for (const [command, usage] of Object.entries(usages)) {
    it(`${command} --help and -h print its usage`, async () => {
      for (const flag of ['--help', '-h']) {
        const r = await run([command, flag]);
        expect(r.code, `${command} ${flag}`).toBe(0);
        expect(r.out).toMatch(usage);
      }
    });
  }
});
