/**
 * A sweep checked before anything is stored: its space against the settings, its base config,
 * every learner's config at each end of each dimension (so a range that leaves a setting's
 * bounds is refused now, by the setting's name, not by a failed trial later), and the data. The
 * protocol needs a validation split and a validation at the last iteration: trials are compared
 * there.
 */
import { ConfigError, type ExperimentConfig, parseExperimentConfig } from '../contract/config';
import {
  type SweepInput,
  type SweepSpec,
  dimensionsFor,
  resolveSweep,
  sweepSetting,
} from '../contract/sweep';
import { splitClasses } from '../engine/episodes';
import { type CachingDatasetLoader, resolveTrainingData } from '../data/trainingData';
import { ServiceError } from '../service/errors';
import { trialConfig } from './scheduler';

export async function prepareSweep(
  input: SweepInput,
  load: CachingDatasetLoader,
): Promise<{ spec: SweepSpec; base: ExperimentConfig }> {
  let spec: SweepSpec;
  try {
    spec = resolveSweep(input);
  } catch (e) {
    throw new ServiceError(`the sweep was refused: ${(e as Error).message}`, 'invalid');
  }
  const base = parseExperimentConfig({ ...spec.config, learner: spec.learners[0] });
  if (base.valEvery <= 0 || base.iterations % base.valEvery !== 0) {
    throw new ConfigError([
      {
        field: 'valEvery',
        message:
          `a sweep compares its trials at their last validation: Iterations (${base.iterations}) must be a ` +
          `multiple of it (now ${base.valEvery})`,
      },
    ]);
  }
  for (const learner of spec.learners) {
    const dims = dimensionsFor(spec.space, learner, base.space);
    if (!dims.length) {
      throw new ServiceError(
        `the sweep was refused: none of its settings (${spec.space.map((d) => sweepSetting(d.setting).label).join(', ')}) changes what ${learner} computes`,
        'invalid',
      );
    }
    // Each end of each dimension, the others at their first value: every one must be a valid config.
    for (const d of dims) {
      const ends = d.kind === 'values' ? d.values : [d.min, d.max];
      for (const v of ends) trialConfig(base, learner, { [d.setting]: v });
    }
    const { dataset } = await resolveTrainingData({ ...base, learner }, load);
    const splits = splitClasses(dataset, base.split, base.seed);
    if (splits.val.length === 0) {
      throw new ConfigError([
        { field: 'split', message: 'a sweep chooses on meta-validation: give the split a validation share' },
      ]);
    }
  }
  return { spec, base };
}
