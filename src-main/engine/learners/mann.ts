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
  memory: {
    innerLoop: 'network',
    // Per step its input, the LSTM's gates and the memory it wrote.
    pixelNetwork(config, image) {
      const m = config.mann;
      const input = image.height * image.width * image.channels + config.ways;
      return {
        activations:
          input + 8 * m.controllerSize + 2 * m.memorySlots * m.slotSize + 4 * m.readHeads * m.memorySlots,
        parameters:
          4 * m.controllerSize * (input + m.controllerSize + m.readHeads * m.slotSize) +
          m.controllerSize * config.ways,
        field: 'mann.controllerSize',
      };
    },
  },
  tasks(dataset, classIds, shape, rng) {
    if (!shape.mann) throw new Error('sequence tasks need the MANN settings');
    return new SequenceSampler(dataset, classIds, { ways: shape.ways, ...shape.mann }, rng);
  },
};
