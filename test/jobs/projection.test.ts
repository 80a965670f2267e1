/**
 * The concept projector as a job: a projection asked of a trained run is checked first, carried
 * out in a trainer process of its own, stored with its points, classes, images and k-NN figure,
 * and read back by a workbench opened later without computing it again.
 */
import { describe, expect, it } from 'vitest';
import type { ProjectionRecord } from '../../src-main/contract/projection';
import { WorkbenchService } from '../../src-main/service/service';
import { TINY } from '../helpers/configs';
import { tempDirs } from '../helpers/temp';
import { until } from '../helpers/waiting';

const tempDir = tempDirs('deml-projection-job');

function open(dataDir: string) {
  return WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'owner', pollMs: 100, staleMs: 5_000 });
}

const ended = (s: WorkbenchService, id: number) =>
  until(
    `projection ${id} to end`,
    () => {
      const r = s.store.projections.get(id);
      return r && !['queued', 'running'].includes(r.status) ? r : null;
    },
    90_000,
  );

describe('a projection job', () => {
  it('stores the map and the k-NN figure of a checkpoint, and a later workbench reads them back', async () => {
    const dataDir = tempDir();
    const service = open(dataDir);
    const seen: Array<ProjectionRecord['status']> = [];
    service.on('projection:status', (p) => seen.push(p.status));
    const { runs } = await service.createExperiment({
      name: 'projected',
      config: { ...TINY, learner: 'protonet', data: 'synthetic:classes=40,size=12', iterations: 20 },
    });
    const runId = runs[0]!.id;
    await until('the run to complete', () => service.store.runs.get(runId)!.status === 'completed', 90_000);

    // Refused before it is queued: a checkpoint the run does not keep.
    await expect(service.call('runs:project', [runId, { step: 7 }])).rejects.toThrow(
      /no checkpoint at iteration 7/,
    );

    const asked = await service.call('runs:project', [runId, { classes: 6, perClass: 5, method: 'pca' }]);
    expect(asked.status).toMatch(/queued|running/);
    const done = await ended(service, asked.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('completed');
    const result = done.result!;
    expect(result).toMatchObject({ step: 20, method: 'pca', split: 'test', knn: { k: 5 } });
    expect(result.classNames).toHaveLength(6);
    expect(result.points).toHaveLength(30);
    expect(result.classOf).toEqual(Array.from({ length: 30 }, (_, i) => Math.floor(i / 5)));
    expect(new Set(result.imageIndex).size).toBe(30);
    expect(result.knn.accuracy).toBeGreaterThan(result.chance);
    expect(result.durationMs).toBeGreaterThan(0);
    // The trainer writes its row, then tells the workbench, which emits the event: the row can be
    // read as completed a moment before the event comes.
    await until('the completed event', () => seen.includes('completed'), 30_000);
    expect(seen).toEqual(expect.arrayContaining(['queued', 'running', 'completed']));

    const umap = await ended(
      service,
      (await service.call('runs:project', [runId, { classes: 6, perClass: 5, method: 'umap' }])).id,
    );
    expect(umap.result).toMatchObject({ method: 'umap', explainedVariance: null });
    // The k-NN figure is of the full-dimension vectors: the same whichever map is drawn.
    expect(umap.result!.knn.accuracy).toBe(result.knn.accuracy);

    // One left running by a process that died (a crash) is swept back to the queue and runs again.
    const orphan = service.store.projections.create(runId, { classes: 6, perClass: 5 });
    const gone = 2 ** 22 + 12345; // above Linux's default pid_max: no process has it
    expect(service.store.projections.markStarted(orphan.id, gone)).toBe(true);
    service.queue!.sweep();
    expect((await ended(service, orphan.id)).result?.knn).toEqual(result.knn);
    await service.close();

    // Reopened: the stored projection is shown as it was, with its images, and nothing is queued.
    const later = open(dataDir);
    const listed = await later.call('projections:list', [runId]);
    expect(listed.map((p) => [p.id, p.status])).toEqual([
      [asked.id, 'completed'],
      [umap.id, 'completed'],
      [orphan.id, 'completed'],
    ]);
    expect(listed[0]!.result).toEqual(result);
    const view = await later.call('projections:get', [asked.id]);
    expect(view.image).toEqual({ width: 12, height: 12, channels: 1 });
    expect(view.images).toHaveLength(30);
    expect(Buffer.from(view.images[0]!, 'base64')).toHaveLength(144);
    expect(later.store.projections.nextQueued()).toBeNull();
    await later.close();
  }, 180_000);

  it('cancels a queued projection at once', async () => {
    const dataDir = tempDir();
    // A client workbench has no queue: what it asks for waits for an owner.
    const owner = open(dataDir);
    const { runs } = await owner.createExperiment({
      name: 'c',
      config: { ...TINY, iterations: 10, checkpointEvery: 10 },
    });
    await until(
      'the run to complete',
      () => owner.store.runs.get(runs[0]!.id)!.status === 'completed',
      90_000,
    );
    await owner.close();
    const client = WorkbenchService.open({ dataDir, appVersion: 'test', mode: 'client' });
    const asked = await client.call('runs:project', [runs[0]!.id, {}]);
    expect(asked.status).toBe('queued');
    expect((await client.call('projections:cancel', [asked.id])).status).toBe('cancelled');
    await expect(client.call('projections:get', [9999])).rejects.toThrow(/projection 9999 does not exist/);
    await client.close();
  }, 120_000);
});
