// Liveness (PROTOCOL.md §3): once faults have healed, every operation a live client issued
// completes. A run that went quiet with an operation pending breaks it: nothing will ever happen.
// A run cut by its time bound judges an operation only once it has been pending longer than the
// run's stated bound (derived from the knobs, or the scenario's), counted from its issue, the
// last fault, and the answer to its client's previous operation; otherwise it is not judged.
// Never "held" with an operation pending.

import type { Operation } from '../kernel/history.ts';
import { formatSpan } from '../render/format.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { columns } from './versions.ts';
import { opText } from './words.ts';

/** A pending operation and when it could last have begun to be served. */
interface Waiting {
  readonly op: Operation;
  readonly since: number;
}

/**
 * The pending operations of live clients, each with the moment from which it has had every
 * chance to complete; an operation behind an earlier pending one of its session is left to that
 * one's verdict (its client may not even have sent it).
 */
function waiting(input: CheckInput): Waiting[] {
  // Most runs end with nothing pending: then there is nothing to walk.
  if (columns(input).pending === 0) return [];
  const sessions = new Map<string, { lastDone: number; pending: boolean }>();
  const out: Waiting[] = [];
  // The history is in invocation order already, but for a copy that may not be: sort only then.
  let ordered = true;
  for (let i = 1; i < input.operations.length && ordered; i++)
    ordered = input.operations[i - 1]!.invokedSeq <= input.operations[i]!.invokedSeq;
  const ops = ordered
    ? input.operations
    : [...input.operations].sort((a, b) => a.invokedSeq - b.invokedSeq);
  for (const op of ops) {
    let s = sessions.get(op.session);
    if (s === undefined) {
      s = { lastDone: 0, pending: false };
      sessions.set(op.session, s);
    }
    if (op.completedAt !== null) {
      s.lastDone = Math.max(s.lastDone, op.completedAt);
      continue;
    }
    if (op.abandonedAt !== null) continue;
    if (!s.pending || input.quiescent)
      out.push({ op, since: Math.max(op.invokedAt, input.faultsEndAt, s.lastDone) });
    s.pending = true;
  }
  return out;
}

function check(input: CheckInput): { violations: Violation[] } | { notJudged: string } {
  if (!input.networkHealed)
    return { notJudged: 'a partition or a held link was still in force at the end' };
  const pending = waiting(input);
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
  if (pending.length === 0) return { violations: [] };
  const bound = input.livenessBound;
  const cut = formatSpan(input.endedAt);
  if (bound === undefined || bound.ms === null) {
    const why = bound === undefined ? 'no bound was stated' : bound.why;
    return {
      notJudged: `${pending.length} operation${pending.length === 1 ? ' was' : 's were'} still pending when the run was cut at ${cut}, and ${why}; a scenario can set livenessBoundMs`,
    };
  }
  const late = pending.filter((w) => input.endedAt - w.since > bound.ms);
  if (late.length === 0) {
    const first = pending[0]!;
    return {
      notJudged: `${opText(first.op)}${pending.length > 1 ? ` and ${pending.length - 1} more` : ''} had been pending ${formatSpan(input.endedAt - first.since)} when the run was cut at ${cut}, not longer than the liveness bound ${formatSpan(bound.ms)} (${bound.from})`,
    };
  }
  return {
    violations: late.map(({ op, since }) => ({
      guarantee: 'liveness',
      ops: [op.id],
      nodes: [],
      at: op.invokedAt,
      sentence: `${opText(op)} was still pending when the run was cut at ${cut}, ${formatSpan(input.endedAt - since)} after it could last have been served, longer than the liveness bound ${formatSpan(bound.ms)} (${bound.from}): ${input.explainPending(op)}`,
    })),
  };
}

export const LIVENESS: Checker = { guarantee: 'liveness', informative: false, check };
