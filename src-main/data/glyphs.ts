/**
 * The embedded default dataset: procedurally generated glyphs in the spirit of Omniglot, so a
 * first-time user can run every experiment with no download.
 *
 * - An *alphabet* has a style: a pool of primitive pen strokes and a pen width. Its characters
 *   reuse those primitives, so characters of one alphabet look alike (as in Omniglot), which is
 *   what makes an episode hard.
 * - A *character* (a class) places a few of its alphabet's primitives on the canvas.
 * - A *drawing* (an image) is the character under a random affine jitter, with each control point
 *   wobbling on its own, the pen width varying, a stroke sometimes missing, and pixel noise.
 *
 * Meta-train / meta-validation / meta-test classes are split by alphabet (Omniglot's convention);
 * the *external* dataset, for the concept discriminator, is drawn from further alphabets, so its
 * classes are disjoint from the meta-test classes. Same options, same bytes.
 */
import type { ClassIndexedDataset } from '../engine/dataset';
import { Rng } from '../engine/random';
import { type Jitter, type Stroke, affine, jitterStrokes, renderStrokes } from './strokes';

export interface GlyphOptions {
  size: number;
  seed: number;
  /** Alphabets for meta-train / meta-validation / meta-test. */
  alphabets: { train: number; val: number; test: number };
  charactersPerAlphabet: number;
  drawingsPerCharacter: number;
  /** The external labelled set (concept discriminator): further alphabets, more drawings. */
  external: { alphabets: number; charactersPerAlphabet: number; drawingsPerCharacter: number };
  jitter: Jitter;
  noise: number;
  /** Chance that a drawing leaves out one of the character's strokes. */
  strokeDropout: number;
}

export const GLYPH_DEFAULTS: GlyphOptions = {
  size: 28,
  seed: 0,
  alphabets: { train: 30, val: 4, test: 6 },
  charactersPerAlphabet: 30,
  drawingsPerCharacter: 20,
  external: { alphabets: 10, charactersPerAlphabet: 20, drawingsPerCharacter: 100 },
  jitter: { rotation: 0.3, scale: 0.18, shift: 0.1, wobble: 0.045 },
  noise: 0.1,
  strokeDropout: 0.15,
};

interface AlphabetStyle {
  primitives: Stroke[];
  width: number;
}

/** A primitive centred on the canvas, 0.3–0.65 long, so every stroke reads as a stroke. */
function primitive(rng: Rng, maxBend: number): Stroke {
  const length = rng.uniform(0.3, 0.65);
  const angle = rng.uniform(0, Math.PI);
  const [dx, dy] = [(Math.cos(angle) * length) / 2, (Math.sin(angle) * length) / 2];
  const bend = rng.uniform(-maxBend, maxBend);
  return [
    [0.5 - dx, 0.5 - dy],
    [0.5 - 2 * dy * bend, 0.5 + 2 * dx * bend],
    [0.5 + dx, 0.5 + dy],
  ];
}

function alphabetStyle(seed: number, alphabet: string): AlphabetStyle {
  const rng = Rng.derive(seed, `glyph-alphabet:${alphabet}`);
  const maxBend = rng.uniform(0.05, 0.6); // some alphabets are angular, some curvy
  return {
    primitives: Array.from({ length: 4 + rng.int(3) }, () => primitive(rng, maxBend)),
    width: rng.uniform(0.06, 0.1),
  };
}

function characterStrokes(style: AlphabetStyle, rng: Rng): Stroke[] {
  const count = 2 + rng.int(3);
  return Array.from({ length: count }, () => {
    const base = style.primitives[rng.int(style.primitives.length)]!;
    const scale = rng.uniform(0.75, 1.1);
    // Turned by a multiple of 45° plus a little: characters of an alphabet share stroke shapes
    // and orientations, as handwriting does.
    const angle = (Math.PI / 4) * rng.int(8) + rng.uniform(-0.15, 0.15);
    return affine(base, angle, scale, scale, rng.uniform(-0.22, 0.22), rng.uniform(-0.22, 0.22));
  });
}

interface GroupSpec {
  prefix: string;
  alphabets: number;
  characters: number;
  drawings: number;
}

function drawGroups(
  o: GlyphOptions,
  groups: GroupSpec[],
  name: string,
): ClassIndexedDataset & { groupOf: number[] } {
  const { size } = o;
  const classes = groups.reduce((n, g) => n + g.alphabets * g.characters, 0);
  const images = groups.reduce((n, g) => n + g.alphabets * g.characters * g.drawings, 0);
  const pixels = new Uint8Array(images * size * size);
  const classStart = new Uint32Array(classes + 1);
  const classNames: string[] = [];
  const groupOf: number[] = [];
  const ink = new Float64Array(size * size);
  let c = 0;
  let image = 0;
  groups.forEach((g, gi) => {
    for (let a = 0; a < g.alphabets; a++) {
      const alphabet = `${g.prefix}${String(a + 1).padStart(2, '0')}`;
      const style = alphabetStyle(o.seed, alphabet);
      for (let k = 0; k < g.characters; k++) {
        // One generator per character: a class's drawings do not depend on the classes before it.
        const rng = Rng.derive(o.seed, `glyph-character:${alphabet}/${k}`);
        const strokes = characterStrokes(style, rng);
        classStart[c] = image;
        classNames.push(`${alphabet}/character${String(k + 1).padStart(2, '0')}`);
        groupOf.push(gi);
        for (let d = 0; d < g.drawings; d++) {
          let drawn = jitterStrokes(strokes, rng, o.jitter);
          if (drawn.length > 2 && rng.next() < o.strokeDropout)
            drawn = drawn.filter((_, i) => i !== rng.int(drawn.length));
          const width = style.width * (1 + rng.uniform(-0.25, 0.25));
          renderStrokes(drawn, size, width, o.noise, rng, pixels, image * size * size, ink);
          image++;
        }
        c++;
      }
    }
  });
  classStart[classes] = image;
  return { name, height: size, width: size, channels: 1, classNames, classStart, pixels, groupOf };
}

export interface GlyphDatasets {
  /** Meta-train / -validation / -test classes, split by alphabet. */
  episodes: ClassIndexedDataset;
  /** The external labelled set for the concept discriminator (classes disjoint from meta-test). */
  external: ClassIndexedDataset;
}

export function generateGlyphs(options: Partial<GlyphOptions> = {}): GlyphDatasets {
  const o: GlyphOptions = { ...GLYPH_DEFAULTS, ...options };
  const n = o.charactersPerAlphabet;
  const d = o.drawingsPerCharacter;
  const episodes = drawGroups(
    o,
    [
      { prefix: 'train-alphabet', alphabets: o.alphabets.train, characters: n, drawings: d },
      { prefix: 'val-alphabet', alphabets: o.alphabets.val, characters: n, drawings: d },
      { prefix: 'test-alphabet', alphabets: o.alphabets.test, characters: n, drawings: d },
    ],
    `glyphs (seed ${o.seed})`,
  );
  const byGroup = (g: number) => episodes.groupOf.flatMap((x, i) => (x === g ? [i] : []));
  const ext = o.external;
  const external = drawGroups(
    o,
    [
      {
        prefix: 'external-alphabet',
        alphabets: ext.alphabets,
        characters: ext.charactersPerAlphabet,
        drawings: ext.drawingsPerCharacter,
      },
    ],
    `glyphs-external (seed ${o.seed})`,
  );
  const strip = ({
    groupOf: _g,
    ...rest
  }: ClassIndexedDataset & { groupOf: number[] }): ClassIndexedDataset => rest;
  return {
    episodes: { ...strip(episodes), splits: { train: byGroup(0), val: byGroup(1), test: byGroup(2) } },
    external: strip(external),
  };
}
