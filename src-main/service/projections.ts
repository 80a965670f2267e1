/**
 * The service's side of the concept projector: a projection asked for is checked against the
 * run's checkpoints and data (as the projecting process will check it), stored as queued, and
 * carried out by the owner's queue; a stored one is served with its points' images for hover.
 * Nothing here loads TensorFlow.js.
 */
import type { ProjectionRecord, ProjectionRequest, ProjectionView } from '../contract/projection';
import { prepareProjection } from '../data/projectionData';
import type { DatasetLoader } from '../data/trainingData';
import type { JobQueue } from '../jobs/queue';
import type { Store } from '../store/store';
import { ServiceError } from './errors';

export interface ProjectorContext {
  store: Store;
  load: DatasetLoader;
  queue: JobQueue | null;
  emit: (record: ProjectionRecord) => void;
}

export async function requestProjection(
  c: ProjectorContext,
  runId: number,
  request: ProjectionRequest,
): Promise<ProjectionRecord> {
  const run = c.store.runs.get(runId);
  if (!run) throw new ServiceError(`run ${runId} does not exist`, 'not-found');
  await prepareProjection({
    trained: run.config,
    request,
    checkpoints: c.store.checkpoints.list(runId),
    owner: `run ${runId}`,
    load: c.load,
  });
  const record = c.store.projections.create(runId, request);
  c.emit(record);
  c.queue?.pump();
  return c.store.projections.get(record.id)!;
}

export function listProjections(c: ProjectorContext, runId: number): ProjectionRecord[] {
  if (!c.store.runs.get(runId)) throw new ServiceError(`run ${runId} does not exist`, 'not-found');
  return c.store.projections.list(runId);
}

export async function projectionView(c: ProjectorContext, id: number): Promise<ProjectionView> {
  const record = c.store.projections.get(id);
  if (!record) throw new ServiceError(`projection ${id} does not exist`, 'not-found');
  const data = c.store.runs.get(record.runId)?.config.data;
  if (!record.result || !data) return { ...record, image: null, images: [] };
  try {
    const dataset = await c.load(data);
    const size = dataset.width * dataset.height * dataset.channels;
    const images = record.result.imageIndex.map((i) =>
      Buffer.from(dataset.pixels.subarray(i * size, (i + 1) * size)).toString('base64'),
    );
    return {
      ...record,
      image: { width: dataset.width, height: dataset.height, channels: dataset.channels },
      images,
    };
  } catch {
    // The dataset was removed since: the map and the figure are still worth showing, without images.
    return { ...record, image: null, images: [] };
  }
}

export function cancelProjection(c: ProjectorContext, id: number): ProjectionRecord {
  const known = c.queue ? c.queue.cancelProjection(id) : c.store.projections.requestCancel(id) != null;
  if (!known) throw new ServiceError(`projection ${id} does not exist`, 'not-found');
  const record = c.store.projections.get(id)!;
  c.emit(record);
  return record;
}
