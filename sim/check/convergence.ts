// Convergence at quiescence, and timestamps that name one write each. Convergence is judged only
// when the run settled (nothing in flight, the network healed): then every live replica must hold,
// for every key, the same version, and it must be the newest acknowledged write.

import type { Key, NodeId } from '../../protocol/core.ts';
import type { Operation } from '../kernel/history.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { isWrite, versionOf } from './versions.ts';
import { opText } from './words.ts';

function held(v: { value: string | null; ts: number } | undefined): string {
  if (v === undefined) return 'nothing';
  return `${v.value === null ? '⊥ (deleted)' : v.value} ts ${v.ts}`;
}

/** The acknowledged write with the largest ts, per key (the first such, on a tie). */
function newestAcknowledged(operations: readonly Operation[]): Map<Key, Operation> {
  const newest = new Map<Key, Operation>();
  for (const op of operations) {
    const v = isWrite(op) ? versionOf(op) : null;
    if (v === null) continue;
    const best = newest.get(op.key);
    if (best === undefined || v > best.ts!) newest.set(op.key, op);
  }
  return newest;
}

function converge(input: CheckInput): Violation[] {
  const live = [...input.replicas.entries()].filter(([, r]) => r.up);
  const keys = new Set<Key>();
  for (const [, r] of live) for (const k of r.store.keys()) keys.add(k);
  const newest = newestAcknowledged(input.operations);
  for (const k of newest.keys()) keys.add(k);
  const violations: Violation[] = [];
  for (const key of [...keys].sort()) {
    const first = live[0];
    if (first === undefined) break;
    const reference = first[1].store.get(key);
    const differs = live.find(([, r]) => {
      const v = r.store.get(key);
      return v?.ts !== reference?.ts || v?.value !== reference?.value;
    });
    if (differs !== undefined) {
      violations.push(divergence(key, first[0], reference, differs[0], differs[1].store.get(key)));
      continue;
    }
    const acked = newest.get(key);
    if (
      acked !== undefined &&
      (reference === undefined ||
        reference.ts < acked.ts! ||
        (reference.ts === acked.ts &&
          reference.value !== (acked.op === 'put' ? acked.value : null)))
    ) {
      violations.push({
        guarantee: 'convergence',
        ops: [acked.id],
        nodes: live.map(([n]) => n),
        at: acked.completedAt ?? acked.invokedAt,
        sentence: `the acknowledged ${opText(acked)} with ts ${acked.ts} is lost: at the end every live replica holds ${key} = ${held(reference)}`,
      });
    }
  }
  return violations;
}

function divergence(
  key: Key,
  a: NodeId,
  va: { value: string | null; ts: number } | undefined,
  b: NodeId,
  vb: { value: string | null; ts: number } | undefined,
): Violation {
  return {
    guarantee: 'convergence',
    ops: [],
    nodes: [a, b],
    at: 0,
    sentence: `at the end ${a} holds ${key} = ${held(va)} but ${b} holds ${key} = ${held(vb)}`,
  };
}

export const CONVERGENCE: Checker = {
  guarantee: 'convergence',
  informative: false,
  check: (input) => {
    if (!input.quiescent)
      return {
        notJudged: 'the run did not settle: messages or timers were still pending at its end',
      };
    if (!input.networkHealed)
      return { notJudged: 'a partition or a held link was still in force at the end' };
    return { violations: converge(input) };
  },
};

/** No two different acknowledged writes of a key share a timestamp. */
export const UNIQUE_TIMESTAMPS: Checker = {
  guarantee: 'unique-timestamps',
  informative: false,
  check: (input) => {
    const byVersion = new Map<string, Operation>();
    const violations: Violation[] = [];
    for (const op of input.operations) {
      const v = isWrite(op) ? versionOf(op) : null;
      if (v === null) continue;
      const id = `${op.key}\u0000${v}`;
      const first = byVersion.get(id);
      if (first === undefined) {
        byVersion.set(id, op);
        continue;
      }
      violations.push({
        guarantee: 'unique-timestamps',
        ops: [first.id, op.id],
        nodes: [],
        at: op.completedAt ?? op.invokedAt,
        sentence: `${opText(op)} and ${opText(first)} were both stamped ts ${v}: the leader cannot tell them apart`,
      });
    }
    return { violations };
  },
};
