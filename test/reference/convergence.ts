// Convergence as PROTOCOL.md §3 words it: once the run has settled, every live replica holds the
// same (value, ts) for every key, and no acknowledged write is lost, judged on the observable state
// (the value, or absent for a tombstone or a key never stored).

import type { Apply, Operation } from '../../sim/kernel/history.ts';
import { isWrite, type RefVerdict, verdictOf, writeVersion, writtenValue } from './history.ts';

/** A server's store at the end of the run, and whether it is up. */
export interface ReplicaView {
  readonly up: boolean;
  readonly store: ReadonlyMap<string, { readonly value: string | null; readonly ts: number }>;
}

export interface ConvergenceInput {
  readonly operations: readonly Operation[];
  readonly applies: readonly Apply[];
  readonly replicas: ReadonlyMap<string, ReplicaView>;
  readonly quiescent: boolean;
  readonly networkHealed: boolean;
}

export interface ConvergenceVerdict extends RefVerdict {
  /** Keys on which the live replicas disagree. */
  readonly divergent: readonly string[];
  /** Acknowledged writes lost, on keys where the live replicas agree. */
  readonly lost: readonly number[];
}

/** The version a write was stamped with: its acknowledgement's, else its first apply's. */
function stampOf(w: Operation, operations: readonly Operation[], applies: readonly Apply[]) {
  const acked = writeVersion(w);
  if (acked !== null) return acked;
  const index = operations.indexOf(w);
  for (const a of applies) if (a.opIndex === index) return a.ts;
  return null;
}

export function convergence(input: ConvergenceInput): ConvergenceVerdict {
  if (!input.quiescent || !input.networkHealed)
    return { status: 'not-judged', witnesses: [], divergent: [], lost: [] };
  const live = [...input.replicas.values()].filter((r) => r.up);
  const keys = new Set<string>();
  for (const r of live) for (const k of r.store.keys()) keys.add(k);
  for (const op of input.operations) keys.add(op.key);
  const divergent: string[] = [];
  const lost: number[] = [];
  for (const key of [...keys].sort()) {
    const entries = live.map((r) => r.store.get(key));
    const first = entries[0];
    const same = entries.every(
      (e) =>
        (e === undefined && first === undefined) ||
        (e !== undefined && first !== undefined && e.value === first.value && e.ts === first.ts),
    );
    if (!same) {
      divergent.push(key);
      continue;
    }
    if (live.length === 0) continue;
    const observed = first?.value ?? null;
    const writes = input.operations.filter((op) => op.key === key && isWrite(op));
    for (const w of writes) {
      const v = writeVersion(w);
      if (v === null || writtenValue(w) === observed) continue;
      const newer = writes.some((other) => {
        if (other === w || writtenValue(other) !== observed) return false;
        const stamp = stampOf(other, input.operations, input.applies);
        return stamp !== null && stamp > v;
      });
      if (!newer) lost.push(w.id);
    }
  }
  const witnesses = lost.map((id) => [id]);
  const status = divergent.length > 0 || lost.length > 0 ? 'broken' : 'held';
  return { ...verdictOf(witnesses), status, divergent, lost };
}
