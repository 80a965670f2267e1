/**
 * How well classes separate in an embedding: the leave-one-out k-nearest-neighbour accuracy. Each
 * vector is classified by the majority class of its k nearest others (Euclidean); a tie goes to
 * the tied class with the nearest member, so the figure never depends on the order of the data.
 */

/** `vectors` holds n rows of `dimensions` values; labels[i] is row i's class. */
export function knnAccuracy(
  vectors: Float32Array | Float64Array,
  dimensions: number,
  labels: readonly number[],
  k: number,
): number {
  const n = labels.length;
  if (vectors.length !== n * dimensions)
    throw new Error(`knnAccuracy: ${vectors.length} values are not ${n} rows of ${dimensions}`);
  if (n < 2) throw new Error('knnAccuracy: needs at least two vectors');
  const neighbours = Math.min(k, n - 1);
  const distances = squaredDistances(vectors, dimensions, n);
  let correct = 0;
  const order = Array.from({ length: n }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    const row = distances.subarray(i * n, (i + 1) * n);
    const nearest = order
      .filter((j) => j !== i)
      .sort((a, b) => row[a]! - row[b]! || a - b)
      .slice(0, neighbours);
    if (vote(nearest, labels) === labels[i]) correct++;
  }
  return correct / n;
}

/** The majority class of `nearest` (sorted nearest first); a tie goes to the class seen first. */
function vote(nearest: readonly number[], labels: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const j of nearest) counts.set(labels[j]!, (counts.get(labels[j]!) ?? 0) + 1);
  const most = Math.max(...counts.values());
  return labels[nearest.find((j) => counts.get(labels[j]!) === most)!]!;
}

/** All pairwise squared Euclidean distances, n × n, in float64. */
function squaredDistances(v: Float32Array | Float64Array, d: number, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = v[i * d + t]! - v[j * d + t]!;
        s += diff * diff;
      }
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/** The accuracy of always answering the largest class: what a map with no class structure gets. */
export function chanceAccuracy(labels: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}
