/**
 * Every learner's module, by name. The type asks for one for each entry of the catalogue
 * (contract/learners.ts), so a learner cannot be listed without a way to train it.
 */
import type { LearnerName } from '../../contract/config';
import { anil } from './anil';
import type { LearnerDefinition } from './definition';
import { fomaml } from './fomaml';
import { maml } from './maml';
import { mann } from './mann';
import { matchingnet } from './matchingnet';
import { metasgd } from './metasgd';
import { protonet } from './protonet';
import { reptile } from './reptile';
import { siamese } from './siamese';

const REGISTRY: Readonly<Record<LearnerName, LearnerDefinition>> = {
  maml,
  fomaml,
  metasgd,
  protonet,
  matchingnet,
  siamese,
  mann,
  reptile,
  anil,
};

/** A learner's module; a name the catalogue does not know (an old record, a typo) is an error. */
export function learnerDefinition(name: string): LearnerDefinition {
  const definition = Object.hasOwn(REGISTRY, name) ? REGISTRY[name as LearnerName] : undefined;
  if (!definition) throw new Error(`unknown learner '${name}' (known: ${Object.keys(REGISTRY).join(', ')})`);
  return definition;
}
