/**
 * `deml` called in this process: its exit code and what it printed. For checks that end before
 * any work (refusals, usage), where a process of its own would only add a second of start-up;
 * the tests that train or take signals still run the real command.
 */
import { vi } from 'vitest';
import { main } from '../../src-main/cli/main';

export async function demlInProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const stderr = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
