/** An engine evaluation as the store keeps it, with where it came from. */
import type { Evaluation } from '../contract/records';
import type { EvaluationResult } from '../engine/evaluate';
import type { NewEvaluation } from '../store/evaluations';

export function evaluationRecord(
  result: EvaluationResult,
  context: {
    runId: number;
    origin: Evaluation['origin'];
    step: number;
    dataset: string;
    split: Evaluation['split'];
    episodeFile?: { hash: string; name: string } | null;
  },
): NewEvaluation {
  return {
    runId: context.runId,
    origin: context.origin,
    split: context.split,
    step: context.step,
    dataset: context.dataset,
    ways: result.ways,
    shots: result.shots,
    queries: result.queries,
    innerSteps: result.innerSteps,
    episodeSeed: context.episodeFile ? 0 : result.episodeSeed,
    episodeFile: context.episodeFile?.hash ?? null,
    episodeFileName: context.episodeFile?.name ?? null,
    tasks: result.tasks,
    mean: result.mean,
    ci95: result.ci95,
    std: result.std,
    accuracies: result.accuracies,
    durationMs: result.durationMs,
    instances: result.instances ?? null,
    byInstance: result.byInstance ?? null,
  };
}
