// The four session guarantees (Terry et al. 1994) over one client's operations on one key, in the
// order the client issued them. One pass per session keeps, for each rule, the earlier operation
// with the largest version: a later one below it is the violation, and that pair is its witness.

import type { Operation } from '../kernel/history.ts';
import type { Checker, CheckInput, GuaranteeId, Violation } from './types.ts';
import { applyColumns, columns, ReportedPairs, reused, VERSIONED, WRITE } from './versions.ts';
import { opText, versionText } from './words.ts';

interface Best {
  readonly op: Operation;
  readonly v: number;
}

/**
 * A session rule: an operation of kind `on` (a write, or a read) that comes after the session's
 * best (largest-version) operation of kind `against` breaks the guarantee when its version is
 * below that one's, or with `orEqual` not above it.
 */
interface Rule {
  readonly on: 'read' | 'write';
  readonly against: 'read' | 'write';
  readonly orEqual: boolean;
  /** `done`: the earlier operation was answered before `op` was issued (else only issued). */
  readonly sentence: (op: Operation, v: number, earlier: Best, done: boolean) => string;
}

function answered(op: Operation): string {
  return `${op.server} answered ${opText(op)}`;
}

type SessionGuarantee =
  | 'monotonic-reads'
  | 'monotonic-writes'
  | 'read-your-writes'
  | 'writes-follow-reads';

/**
 * Session order is the order of issue (PROTOCOL.md §3), not of answers: a pipelined client's
 * earlier operation may be answered after the later one, and its sentence says so rather than
 * "had already".
 */
const RULES: Readonly<Record<SessionGuarantee, Rule>> = {
  'monotonic-reads': {
    on: 'read',
    against: 'read',
    orEqual: false,
    sentence: (op, v, e, done) =>
      done
        ? `${answered(op)} with ${versionText(v, op)}, but ${op.client} had already read ${versionText(e.v, e.op)} from ${e.op.server} (op ${e.op.id})`
        : `${answered(op)} with ${versionText(v, op)}, but ${op.client}'s read issued before it (op ${e.op.id}) got ${versionText(e.v, e.op)} from ${e.op.server}`,
  },
  'read-your-writes': {
    on: 'read',
    against: 'write',
    orEqual: false,
    sentence: (op, v, e, done) =>
      done
        ? `${answered(op)} with ${versionText(v, op)}, but ${op.client} had already written ${op.key} with ${versionText(e.v, e.op)} (op ${e.op.id})`
        : `${answered(op)} with ${versionText(v, op)}, but ${op.client}'s write of ${op.key} issued before it (op ${e.op.id}) got ${versionText(e.v, e.op)}`,
  },
  'monotonic-writes': {
    on: 'write',
    against: 'write',
    orEqual: true,
    sentence: (op, v, e) =>
      `${opText(op)} got ${versionText(v, op)}, not newer than ${op.client}'s earlier write of ${op.key} with ${versionText(e.v, e.op)} (op ${e.op.id})`,
  },
  'writes-follow-reads': {
    on: 'write',
    against: 'read',
    orEqual: true,
    sentence: (op, v, e, done) =>
      done
        ? `${opText(op)} got ${versionText(v, op)}, not newer than ${versionText(e.v, e.op)}, which ${op.client} had read before (op ${e.op.id} from ${e.op.server})`
        : `${opText(op)} got ${versionText(v, op)}, not newer than ${versionText(e.v, e.op)}, which ${op.client}'s read issued before it got (op ${e.op.id} from ${e.op.server})`,
  },
};

function checkSessions(input: CheckInput, guarantee: SessionGuarantee): Violation[] {
  const rule = RULES[guarantee];
  const ops = input.operations;
  const { flags, version, groupOf, groupCount, order } = columns(input);
  const on = rule.on === 'write' ? WRITE : 0;
  const against = rule.against === 'write' ? WRITE : 0;
  const orEqual = rule.orEqual;
  // Per (session, key) group: the earlier operation of the kind the rule compares against with
  // the largest version, and that version.
  const best = reused.ints('best', groupCount).fill(-1);
  const bestV = reused.floats('bestV', groupCount);
  const found: { readonly group: number; readonly violation: Violation }[] = [];
  for (let k = 0; k < ops.length; k++) {
    const i = order === null ? k : order[k]!;
    const f = flags[i]!;
    if ((f & VERSIONED) === 0) continue;
    const v = version[i]!;
    const g = groupOf[i]!;
    const kind = f & WRITE;
    if (kind === on && best[g]! >= 0 && (v < bestV[g]! || (orEqual && v === bestV[g]!))) {
      const op = ops[i]!;
      const earlier = ops[best[g]!]!;
      found.push({
        group: g,
        violation: {
          guarantee,
          ops: [earlier.id, op.id],
          nodes: op.server === null ? [] : [op.server],
          at: op.completedAt ?? op.invokedAt,
          sentence: rule.sentence(
            op,
            v,
            { op: earlier, v: bestV[g]! },
            earlier.completedSeq !== null && earlier.completedSeq < op.invokedSeq,
          ),
        },
      });
    }
    if (kind === against && (best[g]! < 0 || v > bestV[g]!)) {
      best[g] = i;
      bestV[g] = v;
    }
  }
  // Reported group by group, each in session order.
  return found.sort((a, b) => a.group - b.group).map((f) => f.violation);
}

/** MW's second half: no replica holds a client's earlier write after it has held a later one. */
function replicaOrder(input: CheckInput): Violation[] {
  const ops = input.operations;
  const { write, nodeOf } = applyColumns(input);
  const { groupOf, groupCount, order } = columns(input);
  // Each operation's place in issue order (ids name one operation each, so no two tie).
  let rank: Int32Array | null = null;
  if (order !== null) {
    rank = new Int32Array(ops.length);
    for (let k = 0; k < order.length; k++) rank[order[k]!] = k;
  }
  // Per replica, per (session, key) group: the latest write (in session order) it has held, or -1.
  const held: Int32Array[] = [];
  const reported = new ReportedPairs(ops.length);
  const violations: Violation[] = [];
  for (let a = 0; a < write.length; a++) {
    const i = write[a]!;
    if (i < 0) continue;
    const node = nodeOf[a]!;
    let mine = held[node];
    if (mine === undefined) {
      mine = reused.ints(`latest held by ${node}`, groupCount).fill(-1);
      held[node] = mine;
    }
    const g = groupOf[i]!;
    const latest = mine[g]!;
    const later = latest < 0 ? 1 : rank === null ? i - latest : rank[i]! - rank[latest]!;
    if (later < 0) {
      if (!reported.first(node, latest, i)) continue;
      const apply = input.applies[a]!;
      const w = ops[i]!;
      const before = ops[latest]!;
      violations.push({
        guarantee: 'monotonic-writes',
        ops: [before.id, w.id],
        nodes: [apply.node],
        at: apply.t,
        sentence: `${apply.node} stored ${opText(w)} with ts ${apply.ts} after it had already held ${opText(before)}, which ${w.client} issued later in the same session`,
      });
    } else if (later > 0) {
      mine[g] = i;
    }
  }
  return violations;
}

function sessionChecker(guarantee: SessionGuarantee): Checker {
  return {
    guarantee,
    informative: false,
    check: (input) => ({
      violations:
        guarantee === 'monotonic-writes'
          ? [...checkSessions(input, guarantee), ...replicaOrder(input)]
          : checkSessions(input, guarantee),
    }),
  };
}

export const SESSION_CHECKERS: readonly Checker[] = (
  [
    'monotonic-reads',
    'monotonic-writes',
    'read-your-writes',
    'writes-follow-reads',
  ] as const satisfies readonly GuaranteeId[]
).map(sessionChecker);
