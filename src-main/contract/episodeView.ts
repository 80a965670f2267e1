/**
 * One meta-test episode of a run as the episode viewer shows it: the support images per class,
 * the queries with the class the run's checkpoint predicts for each and how sure it is. Images
 * are raw pixels (row-major, channels last, 0–255), base64, as a dataset's samples are.
 */
export interface EpisodeView {
  runId: number;
  /** The checkpoint's iteration. */
  step: number;
  split: 'train' | 'val' | 'test';
  /** Which episode of the split's seeded stream (0: the first the run's meta-test scored). */
  index: number;
  episodeSeed: number;
  ways: number;
  shots: number;
  /** Queries per class. */
  queries: number;
  /** Test-time inner steps taken on the support set (0 for learners that adapt nothing). */
  innerSteps: number;
  width: number;
  height: number;
  channels: number;
  /** The dataset class behind each label 0 … N − 1. */
  classNames: string[];
  support: Array<{ label: number; image: string }>;
  query: Array<{ label: number; image: string; predicted: number; probabilities: number[] }>;
  /** Fraction of the queries predicted right. */
  accuracy: number;
}
