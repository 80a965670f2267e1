/**
 * The hand-over between a foreground owner that is exiting and a second `deml launch` that queues
 * runs at that moment: whichever side sees the other trains them; they are never left queued.
 * The window is milliseconds wide between real processes, so each side is driven here in-process,
 * with the other side's move made at the worst moment.
 */
import { describe, expect, it } from 'vitest';
import { drainLeftovers, trainOrLeave } from '../../src-main/cli/runs';
import { WorkbenchService } from '../../src-main/service/service';
import { lockHolder } from '../../src-main/store/instanceLock';
import { TINY } from '../helpers/configs';
import { tempDirs } from '../helpers/temp';

const tempDir = tempDirs('deml-handover');
const config = { ...TINY, iterations: 10, valEvery: 0, evalTasks: 10 };

function statuses(dataDir: string): string[] {
  const s = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
  try {
    return s.store.runs
      .list({})
      .map((r) => `${r.id}:${r.status}`)
      .sort();
  } finally {
    s.store.close();
  }
}

describe('the hand-over of a data directory between CLI launches', () => {
  it('a client whose owner exited before it committed its runs trains them itself', async () => {
    const dataDir = tempDir();
    // The owner's poll is far off, so only its exit matters.
    const owner = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 600_000 });
    const client = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
    await owner.close(); // it drained its own work and let go…
    const { runs } = await client.createExperiment({ name: 'late', config, seeds: [0, 1] }); // …as B commits
    const code = await trainOrLeave(
      client,
      dataDir,
      runs.map((r) => r.id),
      false,
      new AbortController().signal,
    );
    expect(code).toBe(0);
    expect(statuses(dataDir)).toEqual(['1:completed', '2:completed']);
    expect(lockHolder(dataDir)).toBeNull();
  }, 120_000);

  it('an owner that finds runs queued after it let go trains them too; with another owner, it leaves them', async () => {
    const dataDir = tempDir();
    const client = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
    await client.createExperiment({ name: 'queued as the owner exited', config });
    await client.close();
    await drainLeftovers(dataDir, new AbortController().signal);
    expect(statuses(dataDir)).toEqual(['1:completed']);

    // Another workbench took the directory: that one trains, this one leaves at once.
    const other = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 600_000 });
    const late = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
    await late.createExperiment({ name: 'for the other owner', config });
    await late.close();
    await drainLeftovers(dataDir, new AbortController().signal);
    expect(statuses(dataDir)).toEqual(['1:completed', '2:queued']);
    await other.close();
  }, 120_000);
});
