/**
 * One meta-test episode of a run as the episode viewer shows it: the support images per class,
 * the queries with the class the run's checkpoint predicts for each and how sure it is. Images
 * are raw pixels (row-major, channels last, 0–255), base64, as a dataset's samples are.
 *
 * A MANN's episode (a task of `batch` labelled sequences) has no support set or queries (both
 * empty, shots and queries 0): it comes with `sequence` instead.
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
  /**
   * Fraction of the queries predicted right. A MANN: the task's accuracy at each class's second
   * presentation, over all its sequences (the figure its meta-test counted for this episode).
   */
  accuracy: number;
  /** A MANN's episode: the first of the task's sequences, step by step. */
  sequence?: SequenceView;
}

/**
 * One labelled sequence of a MANN's task: N classes shown M times each in a random order, each
 * step's label given to the MANN one step later. Only the first sequence of the task is shown:
 * the task's sequences are run side by side but never see each other, so one is what a reader
 * follows, and all of them (16 × 50 images by default) would be a wall of images and, on
 * miniImageNet, tens of MB to send.
 */
export interface SequenceView {
  /** Sequences in the task (the MANN's batch); `accuracy` above is over all of them. */
  sequences: number;
  /** Presentations of each class (M). */
  presentations: number;
  /** In the order the MANN saw them. */
  steps: SequenceStep[];
  /** This sequence's accuracy at each presentation of a class: [1st, 2nd, …]. */
  byPresentation: number[];
}

export interface SequenceStep {
  image: string;
  /** The step's label (0 … N − 1, drawn afresh per sequence). */
  label: number;
  /**
   * Which presentation of its class (of its label) this is, 1-based. At the 1st the MANN has not
   * been told the class's label yet: its prediction there is a guess.
   */
  presentation: number;
  predicted: number;
  /** The probability of each label (the softmax of this step's logits), summing to 1. */
  probabilities: number[];
}
