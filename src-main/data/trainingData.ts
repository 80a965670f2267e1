/**
 * The data a config trains on: the meta dataset (`data`) and, in the concept space, the external
 * labelled dataset of the concept discriminator (`concept.external`), loaded and checked against
 * the config before any work. `deml train`, the presets, the service and the trainer process all
 * come here, so a bad dataset gets the same message, naming the same field, wherever it is met.
 */
import { ConfigError, type ExperimentConfig } from '../contract/config';
import type { ClassIndexedDataset } from '../engine/dataset';
import { validateAgainstDataset } from '../engine/validate';
import { resolveDataset } from './resolve';

export interface TrainingData {
  dataset: ClassIndexedDataset;
  /** The concept discriminator's external dataset; null in the pixel space. */
  external: ClassIndexedDataset | null;
}

/** Loads a dataset reference (a `data` or `concept.external` value). */
export type DatasetLoader = (ref: string) => Promise<ClassIndexedDataset>;

export interface CachingDatasetLoader extends DatasetLoader {
  /** Load `ref` afresh next time (it was re-imported). */
  forget(ref: string): void;
}

/** Loads each reference once and shares it afterwards; a failed load is tried again next time. */
export function datasetLoader(dataDir: string): CachingDatasetLoader {
  const loaded = new Map<string, Promise<ClassIndexedDataset>>();
  const load = (ref: string) => {
    let p = loaded.get(ref);
    if (!p) {
      p = resolveDataset(ref, dataDir);
      p.catch(() => loaded.delete(ref));
      loaded.set(ref, p);
    }
    return p;
  };
  return Object.assign(load, { forget: (ref: string) => void loaded.delete(ref) });
}

/** The training data of `config`, checked against it (ConfigError naming the field otherwise). */
export async function resolveTrainingData(
  config: ExperimentConfig,
  load: DatasetLoader,
): Promise<TrainingData> {
  const dataset = await loadAs(load, config.data, 'data');
  const external =
    config.space === 'concept' ? await loadAs(load, config.concept.external, 'concept.external') : null;
  validateAgainstDataset(config, dataset, external);
  return { dataset, external };
}

/** A reference that does not resolve is a config error on the field that named it. */
export async function loadAs(load: DatasetLoader, ref: string, field: string): Promise<ClassIndexedDataset> {
  try {
    return await load(ref);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.issues.map((i) => ({ ...i, field })));
    throw e;
  }
}
