/**
 * Tests that need a Slurm cluster skip with the reason when none answers here. On CI, which
 * starts one (.ci/slurm-up), a missing cluster is an error, so that CI never skips them.
 */
import { spawnSync } from 'node:child_process';

export function haveSlurm(why: string): boolean {
  const ping = spawnSync('scontrol', ['ping'], { encoding: 'utf8' });
  if (ping.status === 0 && /UP/.test(ping.stdout)) return true;
  const reason = ping.error
    ? 'Slurm is not installed (scontrol is not on the PATH)'
    : `no Slurm controller answers (scontrol ping: ${(ping.stdout + ping.stderr).trim()})`;
  if (process.env.CI) throw new Error(`CI starts a Slurm cluster (.ci/slurm-up), but ${reason}: ${why}`);
  console.warn(`skipped: ${reason}; start one as root with .ci/slurm-up (${why})`);
  return false;
}
