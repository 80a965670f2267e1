/**
 * Ready-made experiment sets: each preset is a list of runs that differ only in what the
 * comparison is about (same seeds, same budget, same data), so a table of their results reads
 * directly as the comparison.
 */
import type { ExperimentConfigInput } from './config';

export interface PresetRun {
  /** Row/column label in result tables, e.g. "MAML · concept · 1-shot". */
  label: string;
  config: ExperimentConfigInput;
}

export interface Preset {
  id: string;
  title: string;
  description: string;
  runs: PresetRun[];
}

/** What every run of a preset shares; callers may override the budget. */
export interface PresetBudget {
  iterations: number;
  evalTasks: number;
  seed: number;
  data: string;
}

const PRESET_BUDGET: PresetBudget = { iterations: 500, evalTasks: 600, seed: 0, data: 'glyphs' };

function conceptVsPixels(b: PresetBudget): PresetRun[] {
  const runs: PresetRun[] = [];
  for (const shots of [1, 5]) {
    for (const learner of ['maml', 'metasgd'] as const) {
      for (const space of ['pixels', 'concept'] as const) {
        runs.push({
          label: `${learner === 'maml' ? 'MAML' : 'Meta-SGD'} · ${space} · ${shots}-shot`,
          config: {
            learner,
            space,
            ways: 5,
            shots,
            queries: 15,
            // The paper's meta-batch: 4 tasks for 1-shot, 2 for 5-shot.
            metaBatch: shots === 1 ? 4 : 2,
            innerSteps: 1,
            testInnerSteps: 3,
            innerLr: 0.4,
            metaLr: 0.001,
            valEvery: 0,
            model: { filters: 32 },
            ...b,
          },
        });
      }
    }
  }
  return runs;
}

function mamlVsMetaSgd(b: PresetBudget): PresetRun[] {
  return (['maml', 'metasgd'] as const).map((learner) => ({
    label: learner === 'maml' ? 'MAML' : 'Meta-SGD',
    config: { learner, ways: 5, shots: 1, queries: 15, metaBatch: 4, model: { filters: 32 }, ...b },
  }));
}

export function presets(budget: Partial<PresetBudget> = {}): Preset[] {
  const b = { ...PRESET_BUDGET, ...budget };
  return [
    {
      id: 'concept-vs-pixels',
      title: 'Concept space vs pixels',
      description:
        'MAML and Meta-SGD on raw pixels (conv4) and in the concept space (DEML: ResNet generator, ' +
        'discriminator on the external dataset), 5-way 1-shot and 5-shot, same seed and budget.',
      runs: conceptVsPixels(b),
    },
    {
      id: 'maml-vs-metasgd',
      title: 'MAML vs Meta-SGD',
      description: 'Second-order MAML against Meta-SGD, 5-way 1-shot on pixels, same seed and budget.',
      runs: mamlVsMetaSgd(b),
    },
  ];
}

export function findPreset(id: string, budget: Partial<PresetBudget> = {}): Preset {
  const preset = presets(budget).find((p) => p.id === id);
  if (!preset)
    throw new Error(
      `unknown preset '${id}' (known: ${presets()
        .map((p) => p.id)
        .join(', ')})`,
    );
  return preset;
}
