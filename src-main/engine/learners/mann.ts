/**
 * MANN (Santoro et al. 2016): an LSTM controller with an external memory. Its tasks are sequences
 * of N classes × M presentations; on the pixels it reads the image itself.
 */
import { SequenceSampler } from '../episodes';
import { type LearnerDefinition, embeddingOf, embeddingTrains } from './definition';
import { createMannLearner } from './mannLearner';

export const mann: LearnerDefinition = {
  name: 'mann',
  build(ctx) {
    const { config } = ctx;
    const encoder = embeddingOf(ctx, 'image');
    const learner = createMannLearner({
      name: 'mann',
      encoder,
      trainEncoder: embeddingTrains(ctx),
      ways: config.ways,
      ...config.mann,
    });
    const m = config.mann;
    return {
      learner,
      describe: [
        ctx.generator ? null : encoder.description,
        `MANN: LSTM ${m.controllerSize}, memory ${m.memorySlots} × ${m.slotSize}, ${m.readHeads} read heads`,
      ],
    };
  },
  tasks(dataset, classIds, shape, rng) {
    if (!shape.mann) throw new Error('sequence tasks need the MANN settings');
    return new SequenceSampler(dataset, classIds, { ways: shape.ways, ...shape.mann }, rng);
  },
};
