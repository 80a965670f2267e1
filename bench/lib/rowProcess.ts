/**
 * Rows measured in processes of their own (so that each peak RSS is its own): ours under tsx,
 * PyTorch's under Debian's python3-torch. Each prints one JSON line last; an error is a row too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** PyTorch's interpreter: Debian's, whose python3-torch the benches compare with (or $PYTHON). */
export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

export type RowResult<Row> = Row | { error: string };

/** The last line of a row process's stdout, as JSON; else an error that says how it ended. */
function lastJson<Row>(stdout: string, status: number | null): RowResult<Row> {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Row;
  } catch {
    return { error: `exit ${status}: ${last.slice(0, 300) || 'no output'}` };
  }
}

/** Why PyTorch rows cannot be measured here, or null when they can. */
export function havePytorch(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} has no torch (apt-get install python3-torch)`;
}

/**
 * Ours: a bench script under tsx, or a bundled one (.mjs, the device kit's) under plain Node. Its
 * stderr passes through; its stdout may be long.
 */
export function oursRow<Row>(script: string, args: string[]): RowResult<Row> {
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  const r = spawnSync(process.execPath, [...loader, script, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  return lastJson<Row>(r.stdout, r.status);
}

/** PyTorch's: a bench/torch script; a failure is the row's error, with its last line. */
export function pytorchRow<Row>(script: string, args: string[]): RowResult<Row> {
  const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.status}` };
  return lastJson<Row>(r.stdout, r.status);
}
