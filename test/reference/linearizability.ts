// Linearizability per key as PROTOCOL.md §3 defines it: an order of a key's operations that
// respects real time (the run's event order) and is legal for a register. PUT sets the value,
// DELETE makes it absent, GET returns the value or NULL; an unanswered PUT/DELETE may take effect
// any time after its invocation or never; one answered with a refusal (not PUT_OK/DELETE_OK) may
// take effect before that answer, or never, but one denied its lock never does (the lock client
// sends it only once granted); a refused or unanswered GET constrains nothing. Small
// keys are decided by brute force over every order, larger ones by the Wing–Gong search (wgl.ts),
// which knows no refused write: a larger key with one is skipped, as is a key that search cannot
// finish within its step budget, and both are counted.

import { WGL_STEP_BUDGET, wglLinearizable } from '../../sim/check/wgl.ts';
import type { Operation } from '../../sim/kernel/history.ts';
import { groupBy, type RefVerdict, writtenValue } from './history.ts';

/** The most operations a key may have for the brute-force search; above, the Wing–Gong search. */
export const BRUTE_FORCE_LIMIT = 10;

export interface RegisterOp {
  readonly id: number;
  readonly kind: 'write' | 'read';
  /** Written, or read (null: absent). */
  readonly value: string | null;
  readonly invokedSeq: number;
  /** null: never answered (a write that may take effect later, or never). */
  readonly completedSeq: number | null;
  /** A write not acknowledged: it may never take effect (else by its answer, if it has one). */
  readonly optional: boolean;
}

/** The most operations a key with a refused write may have: it is brute force's alone. */
export const REFUSED_LIMIT = 14;

/** The operation as the register sees it; null when it constrains nothing. */
export function registerOp(op: Operation): RegisterOp | null {
  const answered = op.completedSeq !== null;
  const base = { id: op.id, invokedSeq: op.invokedSeq };
  if (op.op === 'get') {
    if (!answered) return null;
    if (op.reply === 'GET_OK')
      return {
        ...base,
        kind: 'read',
        value: op.result,
        completedSeq: op.completedSeq,
        optional: false,
      };
    if (op.reply === 'NULL')
      return { ...base, kind: 'read', value: null, completedSeq: op.completedSeq, optional: false };
    return null;
  }
  // Denied its lock, the client never sent the write: it did not take effect (§2's lock client).
  if (op.reply === 'LOCK_DENIED') return null;
  const acked = answered && (op.reply === 'PUT_OK' || op.reply === 'DELETE_OK');
  return {
    ...base,
    kind: 'write',
    value: writtenValue(op),
    completedSeq: op.completedSeq,
    optional: !acked,
  };
}

/** Some write was refused: answered, yet not acknowledged. */
function hasRefused(ops: readonly RegisterOp[]): boolean {
  return ops.some((op) => op.optional && op.completedSeq !== null);
}

/** True when some order of `ops` respects real time and a register's values. */
export function linearizable(ops: readonly RegisterOp[]): boolean {
  const n = ops.length;
  const failed = new Set<string>();
  const required = ops.map((op) => !op.optional);
  const search = (done: boolean[], value: string | null): boolean => {
    if (required.every((r, i) => !r || done[i])) return true;
    const memo = `${done.map((d) => (d ? 1 : 0)).join('')}|${value === null ? '\u0000' : `=${value}`}`;
    if (failed.has(memo)) return false;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const op = ops[i]!;
      // It may go next only if no other undone operation finished before it started.
      const blocked = ops.some(
        (other, j) =>
          !done[j] && j !== i && other.completedSeq !== null && other.completedSeq < op.invokedSeq,
      );
      if (blocked) continue;
      done[i] = true;
      // It takes effect now; or, a write not acknowledged, it never does (done, as if it had
      // gone: from here it no longer holds back what started after its answer).
      const ok =
        ((op.kind === 'write' || op.value === value) &&
          search(done, op.kind === 'write' ? op.value : value)) ||
        (op.optional && search(done, value));
      done[i] = false;
      if (ok) return true;
    }
    failed.add(memo);
    return false;
  };
  return search(new Array<boolean>(n).fill(false), null);
}

/**
 * Whether `ops` are linearizable: by brute force up to `bruteForceLimit` operations, else by the
 * Wing–Gong search within `budget` steps (null when it ran out).
 */
export function decide(
  ops: readonly RegisterOp[],
  bruteForceLimit = BRUTE_FORCE_LIMIT,
  budget = WGL_STEP_BUDGET,
): boolean | null {
  if (ops.length <= bruteForceLimit) return linearizable(ops);
  if (hasRefused(ops)) return ops.length <= REFUSED_LIMIT ? linearizable(ops) : null;
  // The Wing–Gong search takes a write with no completion as free to land any time, or never.
  const walk = ops.map((op) => (op.optional ? { ...op, completedSeq: null } : op));
  return wglLinearizable(walk, { steps: budget });
}

export interface LinearizabilityVerdict extends RefVerdict {
  /** Keys left undecided: the Wing–Gong search ran out of steps. */
  readonly skipped: readonly string[];
  /** Keys above the brute-force limit that the Wing–Gong search decided. */
  readonly searched: readonly string[];
  /** Keys found not linearizable. */
  readonly brokenKeys: readonly string[];
}

export function linearizability(
  operations: readonly Operation[],
  bruteForceLimit = BRUTE_FORCE_LIMIT,
  budget = WGL_STEP_BUDGET,
): LinearizabilityVerdict {
  const skipped: string[] = [];
  const searched: string[] = [];
  const brokenKeys: string[] = [];
  const witnesses: number[][] = [];
  for (const [key, ops] of groupBy(operations, (op) => op.key)) {
    const register = ops.map(registerOp).filter((op) => op !== null);
    const held = decide(register, bruteForceLimit, budget);
    if (held === null) {
      skipped.push(key);
      continue;
    }
    if (register.length > bruteForceLimit) searched.push(key);
    if (!held) {
      brokenKeys.push(key);
      witnesses.push(register.map((op) => op.id));
    }
  }
  const status = brokenKeys.length > 0 ? 'broken' : skipped.length > 0 ? 'not-judged' : 'held';
  return { status, witnesses, skipped, searched, brokenKeys };
}

/**
 * Whether a checker's witness is one: operations of one key that cannot be ordered on their own,
 * where every value read was written by one of them or by no write issued before the read ended
 * (else any lone read would do). Null when the search could not decide.
 */
export function isWitness(
  operations: readonly Operation[],
  ids: readonly number[],
): boolean | null {
  const chosen = operations.filter((op) => ids.includes(op.id));
  if (chosen.length !== ids.length || new Set(chosen.map((op) => op.key)).size !== 1) return false;
  const key = chosen[0]!.key;
  const register = chosen.map(registerOp).filter((op) => op !== null);
  const written = new Set(register.filter((op) => op.kind === 'write').map((op) => op.value));
  // A write left out that could have given a read its value (issued before the read ended).
  const couldExplain = (read: RegisterOp) =>
    operations.some(
      (w) =>
        w.key === key &&
        w.op === 'put' &&
        w.value === read.value &&
        read.completedSeq !== null &&
        w.invokedSeq < read.completedSeq,
    );
  const explained = register.every(
    (op) => op.kind === 'write' || op.value === null || written.has(op.value) || !couldExplain(op),
  );
  if (!explained) return false;
  const held = decide(register);
  return held === null ? null : !held;
}
