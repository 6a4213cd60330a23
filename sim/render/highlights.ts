// What every view marks in red: the witnesses of broken guarantees (and informative findings) and
// the operations whose expectation failed, each with its one sentence. Views differ in how they
// draw a highlight, never in what they highlight.

import { GUARANTEE_NAMES } from '../check/index.ts';
import type { ScenarioRun } from '../scenario.ts';
import { expectationText } from '../scenario.ts';

export interface Highlight {
  /** The operations of the witness; the sentence is shown after the last row of their story. */
  readonly opIds: readonly number[];
  /** Nodes involved (a replica that diverged). */
  readonly nodes: readonly string[];
  readonly at: number;
  readonly text: string;
  /** An informative finding (linearizability, causality), not a broken guarantee. */
  readonly informative: boolean;
}

export function highlightsOf(run: ScenarioRun): Highlight[] {
  const out: Highlight[] = [];
  for (const o of run.outcomes) {
    if (o.failure === null || o.expected === undefined) continue;
    out.push({
      opIds: [o.opId],
      nodes: [],
      at: o.operation?.completedAt ?? o.operation?.invokedAt ?? 0,
      text: `step ${o.step}: expected ${typeof o.expected === 'object' && o.expected.pending ? 'no answer' : expectationText(o.expected)}, but ${o.failure}`,
      informative: false,
    });
  }
  for (const verdict of run.verdicts) {
    for (const v of verdict.violations) {
      out.push({
        opIds: v.ops,
        nodes: v.nodes,
        at: v.at,
        text: `${GUARANTEE_NAMES[v.guarantee]}: ${v.sentence}`,
        informative: verdict.informative,
      });
    }
  }
  return out;
}
