/**
 * Checks that need the dataset as well as the config, run before any work so a bad experiment
 * fails at once with a message naming the field (shape checks live in contract/config.ts).
 */
import { availableParallelism, totalmem } from 'node:os';
import { estimateTrainingMemory, formatBytes } from './memoryEstimate';
import { ConfigError, type ConfigIssue, type ExperimentConfig, settingLabel } from '../contract/config';
import { LEARNER_INFO, learnsFromSequences } from '../contract/learners';
import { type ClassIndexedDataset, type SplitName, checkDataset, imagesInClass } from './dataset';
import { splitClasses } from './episodes';
import { conv4OutputSize } from './nn/shapes';

export function validateAgainstDataset(
  config: ExperimentConfig,
  dataset: ClassIndexedDataset,
  external?: ClassIndexedDataset | null,
): void {
  checkDataset(dataset);
  const issues: ConfigIssue[] = [];
  if (config.space === 'concept') issues.push(...conceptIssues(config, dataset, external ?? null));
  const splits = splitClasses(dataset, config.split, config.evalSeed);
  const used: SplitName[] = ['train', 'test'];
  if (config.valEvery > 0 && splits.val.length > 0) used.push('val');
  const name = `dataset '${dataset.name}'`;
  const label: Record<SplitName, string> = { train: 'meta-train', val: 'meta-validation', test: 'meta-test' };

  for (const split of used) {
    const classes = splits[split];
    if (config.ways > classes.length) {
      issues.push({
        field: 'ways',
        message: `${config.ways}-way tasks need ${config.ways} classes but the ${label[split]} split of ${name} has ${classes.length}`,
      });
    }
    // A MANN shows each class `instances` times; the others need K support and Q query images.
    const sequences = learnsFromSequences(config.learner);
    const need = sequences ? config.mann.instances : config.shots + config.queries;
    const small = classes.filter((c) => imagesInClass(dataset, c) < need);
    if (small.length > 0) {
      const fewest = Math.min(...small.map((c) => imagesInClass(dataset, c)));
      const examples = small
        .slice(0, 3)
        .map((c) => `'${dataset.classNames[c]}'`)
        .join(', ');
      issues.push({
        field: sequences ? 'mann.instances' : 'shots',
        message:
          `${sequences ? `${need} instances need ${need}` : `shots + queries = ${need}`} images per class, but ${small.length} ` +
          `${label[split]} class(es) of ${name} have fewer (as few as ${fewest}: ${examples}${small.length > 3 ? ', …' : ''})`,
      });
    }
  }
  // conv4 is the pixel-space network of every learner but the MANN, which reads the pixels.
  const usesConv4 = config.space === 'pixels' && !learnsFromSequences(config.learner);
  for (const [axis, size] of !usesConv4
    ? []
    : ([
        ['height', dataset.height],
        ['width', dataset.width],
      ] as const)) {
    if (conv4OutputSize(size, config.model) < 1) {
      issues.push({
        field: 'model.blocks',
        message: `${config.model.blocks} blocks shrink the image ${axis} ${size} to nothing; use fewer blocks`,
      });
      break;
    }
  }
  if (issues.length === 0) {
    const memory = memoryIssue(config, dataset, external ?? null);
    if (memory) issues.push(memory);
  }
  // One message per field is enough (train and test often fail the same way).
  const seen = new Set<string>();
  const unique = issues.filter((i) => (seen.has(i.field) ? false : (seen.add(i.field), true)));
  if (unique.length > 0) throw new ConfigError(unique);
}

/** The share of the machine's memory a run may be estimated to need before it is refused. */
const MEMORY_SHARE = 0.85;

/** A config whose estimated memory exceeds the machine's: refused with the estimate, before allocating. */
function memoryIssue(
  config: ExperimentConfig,
  dataset: ClassIndexedDataset,
  external: ClassIndexedDataset | null,
): ConfigIssue | null {
  const threads = Math.max(1, availableParallelism());
  const datasetBytes = dataset.pixels.byteLength + (external?.pixels.byteLength ?? 0);
  const estimate = estimateTrainingMemory(config, dataset, datasetBytes, threads);
  const limit = totalmem() * MEMORY_SHARE;
  if (estimate.bytes <= limit) return null;
  const largest = estimate.parts.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return {
    field: largest.field,
    message:
      `this config needs about ${formatBytes(estimate.bytes)} of memory (mostly ${largest.what}: ` +
      `${formatBytes(largest.bytes)}), more than this machine's ${formatBytes(totalmem())} can give; lower the ${settingLabel(largest.field).toLowerCase()}`,
  };
}

/** DEML's own requirements: the external dataset exists, fits G, and shares no class with meta-test. */
function conceptIssues(
  config: ExperimentConfig,
  dataset: ClassIndexedDataset,
  external: ClassIndexedDataset | null,
): ConfigIssue[] {
  const c = config.concept;
  const issues: ConfigIssue[] = [];
  if (!external) {
    return [
      {
        field: 'concept.external',
        message: `the external dataset '${c.external}' for the concept discriminator is missing`,
      },
    ];
  }
  checkDataset(external);
  if (
    external.height !== dataset.height ||
    external.width !== dataset.width ||
    external.channels !== dataset.channels
  ) {
    issues.push({
      field: 'concept.external',
      message:
        `external images are ${external.height}×${external.width}×${external.channels} but the episodes' are ` +
        `${dataset.height}×${dataset.width}×${dataset.channels}; G needs one input size (re-import with --size)`,
    });
  }
  const test = new Set(
    splitClasses(dataset, config.split, config.evalSeed).test.map((i) => dataset.classNames[i]),
  );
  const shared = external.classNames.filter((n) => test.has(n));
  if (shared.length > 0) {
    issues.push({
      field: 'concept.external',
      message:
        `the external dataset shares ${shared.length} class(es) with the meta-test split ` +
        `(${shared.slice(0, 3).join(', ')}${shared.length > 3 ? ', …' : ''}); D would see the meta-test classes`,
    });
  }
  // Prototypical and Matching Networks have no parameters but their embedding's: G, here.
  if (c.generatorMode === 'frozen' && LEARNER_INFO[config.learner].embeddingOnly) {
    issues.push({
      field: 'concept.generatorMode',
      message: `${config.learner} on a frozen generator has no parameter left to meta-learn; use generatorMode "joint"`,
    });
  }
  if (c.externalBatch > external.classStart[external.classNames.length]!) {
    issues.push({
      field: 'concept.externalBatch',
      message: `larger than the external dataset's ${external.classStart[external.classNames.length]} images`,
    });
  }
  return issues;
}
