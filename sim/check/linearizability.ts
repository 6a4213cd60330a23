// Per-key linearizability, informative: the replicated store does not promise it (anomaly A4).
// Each key is one register (PROTOCOL.md §3), decided by register.ts: the timestamp order first,
// the complete search when that order fails, then Wing and Gong's walk (wgl.ts), and a work bound
// that ends in "not judged" naming the key. A finding names the smallest set of operations that
// cannot be ordered, and why.

import type { Apply, Operation } from '../kernel/history.ts';
import { type CertifiedOp, certificateFault, historyCertifier } from './certificate.ts';
import {
  fastPath,
  localCore,
  minimalWitness,
  type OpView,
  type RegisterOp,
  type Sources,
  search,
  sourcesOf,
  wglOp,
  zones,
  zonesByTimestamp,
  zonesWithNulls,
} from './register.ts';
import type { Checker, CheckInput, Linearization, Violation } from './types.ts';
import { wglLinearizable } from './wgl.ts';
import { opIds, opText } from './words.ts';

/** Search steps one key may take before it is left undecided. */
export const SEARCH_BOUND_STEPS = 2_000_000;
/** Search steps spent on shrinking one key's witness. */
const WITNESS_BOUND_STEPS = 2_000_000;

function answeredWrite(op: Operation): boolean {
  return op.completedSeq !== null && (op.reply === 'PUT_OK' || op.reply === 'DELETE_OK');
}

/** The register's view of a history's operation (a GET here is always an answered one). */
const OPERATION_VIEW: OpView<Operation> = {
  write: (op) => op.op !== 'get',
  value: (op) =>
    op.op === 'put' ? op.value : op.op === 'delete' || op.reply === 'NULL' ? null : op.result,
  inv: (op) => op.invokedSeq,
  ret: (op) => (op.op === 'get' || answeredWrite(op) ? op.completedSeq! : Number.POSITIVE_INFINITY),
  ts: (op) =>
    op.op === 'get'
      ? op.reply === 'NULL'
        ? (op.ts ?? 0)
        : op.ts
      : answeredWrite(op)
        ? op.ts
        : null,
  id: (op) => op.id,
};

/** Each key's operations that constrain the register: every write, the answered GETs. */
function byKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const op of operations) {
    if (
      op.op === 'get' &&
      (op.completedSeq === null || (op.reply !== 'GET_OK' && op.reply !== 'NULL'))
    )
      continue;
    const group = groups.get(op.key);
    if (group === undefined) groups.set(op.key, [op]);
    else group.push(op);
  }
  return groups;
}

/**
 * The register's own records of a key's operations, for the exact decision. A never-answered
 * write whose value no read returned is left out: it can always be the "never" case.
 */
function registerOps(ops: readonly Operation[]): RegisterOp[] {
  const all = ops.map(
    (op): RegisterOp => ({
      id: op.id,
      write: OPERATION_VIEW.write(op),
      value: OPERATION_VIEW.value(op),
      inv: OPERATION_VIEW.inv(op),
      ret: OPERATION_VIEW.ret(op),
      ts: OPERATION_VIEW.ts(op),
    }),
  );
  // Most keys have no write left unanswered: then nothing is left out, and no value is gathered.
  if (!all.some((o) => o.write && o.ret === Number.POSITIVE_INFINITY)) return all;
  const read = new Set<string | null>();
  for (const o of all) if (!o.write) read.add(o.value);
  return all.filter((o) => !o.write || o.ret !== Number.POSITIVE_INFINITY || read.has(o.value));
}

/** Each key's operations as the register's records (what the exact decision reads). */
export function registerHistories(operations: readonly Operation[]): Map<string, RegisterOp[]> {
  return new Map([...byKey(operations)].map(([key, ops]) => [key, registerOps(ops)] as const));
}

/** Which never-answered write a version belongs to, from the replicas' applies (built once). */
function versionWriters(
  applies: readonly Apply[],
  operations: readonly Operation[],
): (key: string, ts: number) => Operation | undefined {
  let index: Map<string, string> | null = null;
  let requests: Map<string, Operation> | null = null;
  return (key, ts) => {
    if (index === null || requests === null) {
      index = new Map();
      for (const a of applies) if (a.origin !== null) index.set(`${a.key}\u0000${a.ts}`, a.origin);
      requests = new Map(operations.map((o) => [o.requestId, o] as const));
    }
    const origin = index.get(`${key}\u0000${ts}`);
    const op = origin === undefined ? undefined : requests.get(origin);
    return op?.key === key ? op : undefined;
  };
}

/**
 * The key without its DELETEs and NULL reads, when it has some and every PUT wrote its own value
 * (else null). Each read left keeps the one write of its value, so any order of the whole key,
 * restricted to these, is still legal: when the zones find none for them (O(n log n)), the whole
 * key has none. This decides keys whose NULLs make the zones inapplicable and whose hundreds of
 * concurrent operations no search could get through (a crowded key under the seed's design).
 */
function valuesOnly(ops: readonly RegisterOp[]): RegisterOp[] | null {
  const values = ops.filter((o) => o.value !== null);
  return values.length === ops.length || values.length === 0 ? null : values;
}

export type KeyDecision =
  /** `order`: the key's operation ids in an order certificate.ts accepts (its certificate). */
  | { readonly kind: 'linearizable'; readonly by: 'search'; readonly order: readonly number[] }
  | { readonly kind: 'not-linearizable'; readonly witness: readonly RegisterOp[] }
  /** `fault`: the search's order failed its check (a fault in the checker, never a verdict). */
  | { readonly kind: 'unknown'; readonly operations: number; readonly fault?: string };

/** "Linearizable" with its order once certificate.ts accepts it, else "unknown" with the fault. */
function certified(ops: readonly CertifiedOp[], order: readonly RegisterOp[]): KeyDecision {
  const ids = order.map((o) => o.id);
  const fault = certificateFault(ops, ids);
  return fault === null
    ? { kind: 'linearizable', by: 'search', order: ids }
    : { kind: 'unknown', operations: ops.length, fault };
}

/**
 * One key's verdict from the register's records: the zones when every PUT wrote its own value;
 * else the zones over the timestamps' mapping (a proof of "linearizable"); when PUT values are
 * unique but NULLs are ambiguous, the zones without the NULLs and DELETEs (a proof of "not"), then
 * the zones over each choice of tombstone for the NULLs (exact); a short search; a local set of
 * operations that proves "not" (for keys whose search would try every order of dozens of
 * concurrent writes, and for the smallest witness); then a longer search; within `bound` steps.
 * Each way to "linearizable" also gives an order, checked by certificate.ts before it is believed.
 */
export function decideKey(ops: readonly RegisterOp[], bound = SEARCH_BOUND_STEPS): KeyDecision {
  const order: RegisterOp[] = [];
  const quick = zones(ops, order) ?? zonesByTimestamp(ops, order);
  if (quick === true) return certified(ops, order);
  // A short search first: most keys end there.
  let found: boolean | null = quick === false ? false : search(ops, { steps: bound / 20 }, order);
  let core: readonly RegisterOp[] = ops;
  let local: RegisterOp[] | null = null;
  if (found === null) {
    // The zones without the NULLs (a proof of "not"), then over the choices of tombstone (exact).
    const values = valuesOnly(ops);
    if (values !== null && zones(values) === false) {
      found = false;
      core = values;
    } else found = zonesWithNulls(ops, { steps: bound / 5 }, order) ?? null;
    if (found === true) return certified(ops, order);
    // A local proof: it decides keys whose search would try every order of dozens of concurrent
    // writes, and it is the smallest witness when the key is known not to be linearizable.
    local = localCore(ops, { steps: bound / 4 });
    if (local !== null) found = false;
    else found ??= search(ops, { steps: bound / 2 }, order);
    // Last, Wing and Gong's walk with Lowe's memo and its reductions for writes never answered:
    // it decides in milliseconds some keys the search above leaves open (dozens of pending writes).
    if (found === null) {
      const walked: number[] = [];
      found = wglLinearizable(ops.map(wglOp), { steps: bound }, walked);
      for (const i of walked) order.push(ops[i]!);
    }
  }
  if (found === true) return certified(ops, order);
  if (found === null) return { kind: 'unknown', operations: ops.length };
  // Each shrinks to a set no operation can leave; without a local proof, the key without its
  // NULLs and the whole key may each give the smaller witness.
  const witnesses = (local !== null ? [local] : [...new Set([core, ops])]).map((set) =>
    minimalWitness(set, { steps: WITNESS_BOUND_STEPS }),
  );
  const smallest = witnesses.reduce((a, b) => (b.length < a.length ? b : a));
  return { kind: 'not-linearizable', witness: smallest };
}

function check(
  input: CheckInput,
  bound: number,
): { violations: Violation[]; undecided?: string; linearizations: Linearization[] } {
  const writers = versionWriters(input.applies, input.operations);
  const violations: Violation[] = [];
  const unknown: string[] = [];
  const linearizations: Linearization[] = [];
  const certifier = historyCertifier(input.operations);
  /** A key's order, once certificate.ts accepts it against the history's own records. */
  const certify = (key: string, ops: readonly Operation[], order: readonly number[]) => {
    const fault = certifier.faultAmong(ops, order);
    if (fault === null) linearizations.push({ key, order });
    else unknown.push(faultText(key, ops.length, fault));
  };
  for (const [key, ops] of byKey(input.operations)) {
    // The timestamp order first: near-linear, and most keys end there.
    const order: number[] = [];
    if (fastPath(ops, OPERATION_VIEW, (ts) => writers(key, ts), order)) {
      certify(key, ops, order);
      continue;
    }
    const regs = registerOps(ops);
    const decision = decideKey(regs, bound);
    if (decision.kind === 'linearizable') certify(key, ops, decision.order);
    else if (decision.kind === 'unknown') {
      unknown.push(
        decision.fault !== undefined
          ? faultText(key, decision.operations, decision.fault)
          : `key ${key} (${decision.operations} operations) was not decided within ${bound.toLocaleString('en')} search steps`,
      );
    } else if (decision.kind === 'not-linearizable') {
      const byId = recordsById(ops, decision.witness);
      const witness = decision.witness.map((r) => byId.get(r.id)!);
      const sentence = witnessSentence(witness, decision.witness, sourcesOf(regs), byId);
      violations.push(finding(key, witness, sentence));
    }
  }
  return unknown.length === 0
    ? { violations, linearizations }
    : { violations, undecided: unknown.join('; '), linearizations };
}

/**
 * A key's records by id, as a witness's sentence asks for them: the witness's own at once, the
 * rest of the key (a write the sentence names besides) only if asked for one of them.
 */
function recordsById(
  ops: readonly Operation[],
  witness: readonly RegisterOp[],
): { get(id: number): Operation | undefined } {
  const ids = new Set(witness.map((r) => r.id));
  const own = new Map<number, Operation>();
  for (const o of ops) if (ids.has(o.id)) own.set(o.id, o);
  let all: Map<number, Operation> | null = null;
  return {
    get: (id) => {
      const found = own.get(id);
      if (found !== undefined) return found;
      all ??= new Map(ops.map((o) => [o.id, o] as const));
      return all.get(id);
    },
  };
}

/** A key left not judged because the order the search found failed its check. */
function faultText(key: string, operations: number, fault: string): string {
  return `key ${key} (${operations} operations) was left not judged: the order the search found failed its check (${fault}), a fault in the checker`;
}

/** "1" or "no value (NULL)": a register's value in words. */
function valueText(value: string | null): string {
  return value === null ? 'no value (NULL)' : value;
}

function finding(key: string, witness: Operation[], why: string): Violation {
  // Visible once the last read is answered: every real-time step of the witness ends in a read's
  // answer or a write's issue, and a write's answer adds nothing a register could not reorder.
  const at = Math.max(
    ...witness.map((o) => (o.op === 'get' ? (o.completedAt ?? o.invokedAt) : o.invokedAt)),
  );
  return {
    guarantee: 'linearizability',
    ops: witness.map((o) => o.id),
    nodes: [
      ...new Set(witness.filter((o) => o.op === 'get' && o.server !== null).map((o) => o.server!)),
    ],
    at,
    sentence: `${why}: no order of ${key}'s operations respects real time and a register's values`,
  };
}

/**
 * Why the witness cannot be ordered, in the protocol's words: what finished before what started
 * (only the steps a chain needs), then what each read returned and which writes wrote it; for a
 * read whose other possible writes the witness leaves out, the write of the witness that came
 * between them and the read, or the two reads of one write around it. `sources`: the key's.
 */
export function witnessSentence(
  witness: readonly Operation[],
  regs: readonly RegisterOp[],
  sources: Sources,
  byId: { get(id: number): Operation | undefined },
): string {
  const named = new Set<number>();
  // The first mention names the operation in full, later ones by its id.
  const name = (op: Operation) => {
    if (named.has(op.id)) return `op ${op.id}`;
    named.add(op.id);
    return opText(op);
  };
  const nameReg = (r: RegisterOp) => name(byId.get(r.id)!);
  const facts: string[] = [];
  // a finished before b started with nothing between (no c after a and before b): exactly when
  // b started after a finished and no later than the first end among those that started after a
  // finished. Found in two passes a pair rather than a third over every c (on a witness of 5,000
  // operations that third pass took 25 s).
  for (let i = 0; i < regs.length; i++) {
    const a = regs[i]!;
    let firstEnd = Number.POSITIVE_INFINITY;
    for (const c of regs) if (c.inv > a.ret && c.ret < firstEnd) firstEnd = c.ret;
    for (let j = 0; j < regs.length; j++) {
      const b = regs[j]!;
      if (a.ret < b.inv && b.inv <= firstEnd)
        facts.push(`${name(witness[i]!)} finished before ${name(witness[j]!)} started`);
    }
  }
  for (let j = 0; j < regs.length; j++) {
    const r = regs[j]!;
    if (r.write) continue;
    const op = witness[j]!;
    const answered = `${op.server} answered ${name(op)} with ${valueText(r.value)}`;
    const reason = sources.reason(r, regs);
    if (reason?.kind === 'bracketed') {
      const { write, first, last } = reason;
      facts.push(
        `${answered}, though ${nameReg(first)} before it and ${nameReg(last)} after it both read ${valueText(write.value)}, which only ${nameReg(write)} can have written: nothing was written between them`,
      );
      continue;
    }
    const writers = witness.filter((_, i) => regs[i]!.write && regs[i]!.value === r.value);
    const sourceWords = writers.map(
      (w) => `${w.op === 'delete' ? 'left' : 'written'} by ${name(w)}`,
    );
    if (r.value === null) sourceWords.push('as before any write');
    const left =
      sourceWords.length === 0 ? ', which no write wrote' : `, ${sourceWords.join(' or ')}`;
    if (reason?.kind !== 'overwritten') {
      facts.push(`${answered}${left}`);
      continue;
    }
    const { lacking, by } = reason;
    const ids = opIds(lacking.map((w) => w.id).sort((a, b) => a - b));
    const what =
      r.value === null
        ? `${writers.length > 0 ? 'the other' : 'the'} ${lacking.length === 1 ? 'DELETE' : 'DELETEs'} it may have seen (${ids})`
        : `${lacking.length === 1 ? 'the other write' : 'the other writes'} of ${r.value} it may have seen (${ids})`;
    facts.push(
      `${answered}${left}; ${what} finished before ${nameReg(by)} started, which finished before ${name(op)} started`,
    );
  }
  for (let i = 0; i < regs.length; i++) {
    if (regs[i]!.write && regs[i]!.ret === Number.POSITIVE_INFINITY)
      facts.push(
        `${name(witness[i]!)} was never answered: it took effect after it was issued, or never`,
      );
  }
  // A witness the shrinking could not make small (its budget spent) would make a sentence of
  // megabytes: its first facts, and how many more (its operations are all listed).
  if (facts.length <= MOST_FACTS) return facts.join('; ');
  const more = facts.length - MOST_FACTS;
  return `${facts.slice(0, MOST_FACTS).join('; ')}; and ${more} more fact${more === 1 ? '' : 's'} of this kind about the witness's ${witness.length} operations`;
}

/** The facts a witness's sentence spells out: every witness of the runs compared has at most 43. */
const MOST_FACTS = 60;

/** The checker with another search bound (tests use a small one). */
export function linearizabilityChecker(bound: number): Checker {
  return {
    guarantee: 'linearizability',
    informative: true,
    check: (input) => check(input, bound),
  };
}

export const LINEARIZABILITY: Checker = linearizabilityChecker(SEARCH_BOUND_STEPS);
