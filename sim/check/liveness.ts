// Liveness (PROTOCOL.md §3): once faults have healed, every operation a live client issued
// completes. A run that went quiet with an operation pending breaks it: nothing will ever happen.
// A run cut by its time bound judges an operation only once it has been pending longer than the
// run's stated bound (derived from the knobs, or the scenario's), counted from its issue or the
// end of the faults (the last fault, or a message a fault delayed leaving), whichever came later;
// otherwise it is not judged, as it is while a partition or a held link is in force at the end.
// Never "held" with an operation pending; always held when none is.

import type { Operation } from '../kernel/history.ts';
import { formatSpan, formatTime } from '../render/format.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { columns } from './versions.ts';
import { opText } from './words.ts';

/** A pending operation and the moment from which it has had every chance to complete. */
interface Waiting {
  readonly op: Operation;
  readonly since: number;
}

/**
 * The pending operations of live clients, each counted from its issue or the end of the faults,
 * whichever came later (PROTOCOL.md §3: "after faults heal, every invoked operation completes").
 * Only issued operations are in the history (a sequential client records an operation when it
 * sends it, not while it waits behind another), so each pending one was sent and is judged on
 * its own: a pipelined client's second request does not wait for the answer to its first.
 */
function waiting(input: CheckInput): Waiting[] {
  // Most runs end with nothing pending: then there is nothing to walk.
  if (columns(input).pending === 0) return [];
  const out: Waiting[] = [];
  for (const op of input.operations) {
    if (op.completedAt !== null || op.abandonedAt !== null) continue;
    out.push({ op, since: Math.max(op.invokedAt, input.faultsEndAt) });
  }
  // The history is in invocation order already, but for a copy that may not be: sort only then.
  let ordered = true;
  for (let i = 1; i < out.length && ordered; i++)
    ordered = out[i - 1]!.op.invokedSeq <= out[i]!.op.invokedSeq;
  return ordered ? out : out.sort((a, b) => a.op.invokedSeq - b.op.invokedSeq);
}

function check(input: CheckInput): { violations: Violation[] } | { notJudged: string } {
  const pending = waiting(input);
  // Every invoked operation completed: the guarantee holds, whether or not the faults healed.
  if (pending.length === 0) return { violations: [] };
  if (!input.networkHealed)
    return { notJudged: 'a partition or a held link was still in force at the end' };
  if (input.quiescent) {
    return {
      violations: pending.map(({ op }) => ({
        guarantee: 'liveness',
        ops: [op.id],
        nodes: [],
        at: op.invokedAt,
        // The run went quiet: nothing will ever happen, so it never will.
        sentence: `${opText(op)} never completed: ${input.explainPending(op)}`,
      })),
    };
  }
  const bound = input.livenessBound;
  const cut = formatSpan(input.endedAt);
  if (bound === undefined || bound.ms === null) {
    const why = bound === undefined ? 'no bound was stated' : bound.why;
    const mend = bound?.mend ?? 'a scenario can set livenessBoundMs';
    return {
      notJudged: `${pending.length} operation${pending.length === 1 ? ' was' : 's were'} still pending when the run was cut at ${cut}, and ${why}; ${mend}`,
    };
  }
  const late = pending.filter((w) => input.endedAt - w.since > bound.ms);
  if (late.length === 0 && input.faultsEndAt > input.endedAt) {
    return {
      notJudged: `${pending.length} operation${pending.length === 1 ? ' was' : 's were'} still pending when the run was cut at ${cut}, before its faults had played out (a message a fault delayed leaves at ${formatTime(input.faultsEndAt)}), so the liveness bound had not begun`,
    };
  }
  if (late.length === 0) {
    const first = pending[0]!;
    return {
      notJudged: `${opText(first.op)}${pending.length > 1 ? ` and ${pending.length - 1} more` : ''} had been pending ${formatSpan(input.endedAt - first.op.invokedAt)} when the run was cut at ${cut}, ${first.since > first.op.invokedAt ? `only ${formatSpan(input.endedAt - first.since)} of it since the faults ended (at ${formatTime(first.since)}), and the liveness bound ${formatSpan(bound.ms)} (${bound.from}) counts from then` : `not longer than the liveness bound ${formatSpan(bound.ms)} (${bound.from})`}`,
    };
  }
  return {
    violations: late.map(({ op, since }) => ({
      guarantee: 'liveness',
      ops: [op.id],
      nodes: [],
      at: op.invokedAt,
      sentence: `${opText(op)} was still pending when the run was cut at ${cut}, ${formatSpan(input.endedAt - since)} after ${since > op.invokedAt ? `the faults ended (at ${formatTime(since)})` : 'it was issued'}, longer than the liveness bound ${formatSpan(bound.ms)} (${bound.from}): ${input.explainPending(op)}`,
    })),
  };
}

export const LIVENESS: Checker = { guarantee: 'liveness', informative: false, check };
