/** A query plan as the report shows it, read from a find's `explain` (the embedded server's or MongoDB's). */

/** How the database runs one query: its plan's stages from the top down, the index, the documents examined. */
export interface QueryPlan {
  /** The innermost stage: IXSCAN, COLLSCAN, ... */
  stage: string;
  /** Every stage from the top, e.g. ['LIMIT', 'FETCH', 'IXSCAN']. */
  stages: string[];
  indexName: string | null;
  docsExamined: number | null;
}

interface PlanStage {
  stage?: string;
  indexName?: string;
  inputStage?: PlanStage;
  inputStages?: PlanStage[];
}

/** Walks an explain's winning plan down its first input at each level. */
export function planOf(explain: { queryPlanner?: { winningPlan?: PlanStage }; executionStats?: { totalDocsExamined?: number } }): QueryPlan {
  const stages: string[] = [];
  let indexName: string | null = null;
  let node: PlanStage | undefined = explain.queryPlanner?.winningPlan;
  for (let depth = 0; node && depth < 20; depth++) {
    stages.push(node.stage ?? '?');
    indexName ??= node.indexName ?? null;
    node = node.inputStage ?? node.inputStages?.[0];
  }
  return { stage: stages[stages.length - 1] ?? 'unknown', stages, indexName, docsExamined: explain.executionStats?.totalDocsExamined ?? null };
}
