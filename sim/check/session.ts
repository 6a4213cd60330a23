// The four session guarantees (Terry et al. 1994) over one client's operations on one key, in the
// order the client issued them. One pass per session keeps, for each rule, the earlier operation
// with the largest version: a later one below it is the violation, and that pair is its witness.

import type { Operation } from '../kernel/history.ts';
import type { Checker, CheckInput, GuaranteeId, Violation } from './types.ts';
import { isRead, isWrite, sessions, versionOf } from './versions.ts';
import { opText, versionText } from './words.ts';

interface Best {
  readonly op: Operation;
  readonly v: number;
}

type Rule = (
  earlier: { read: Best | null; write: Best | null },
  op: Operation,
  v: number,
) => { witness: Best; sentence: string } | null;

function answered(op: Operation): string {
  return `${op.server} answered ${opText(op)}`;
}

const RULES: Readonly<
  Record<'monotonic-reads' | 'monotonic-writes' | 'read-your-writes' | 'writes-follow-reads', Rule>
> = {
  'monotonic-reads': (earlier, op, v) =>
    isRead(op) && earlier.read !== null && v < earlier.read.v
      ? {
          witness: earlier.read,
          sentence: `${answered(op)} with ${versionText(v)}, but ${op.client} had already read ${versionText(earlier.read.v)} from ${earlier.read.op.server} (op ${earlier.read.op.id})`,
        }
      : null,
  'read-your-writes': (earlier, op, v) =>
    isRead(op) && earlier.write !== null && v < earlier.write.v
      ? {
          witness: earlier.write,
          sentence: `${answered(op)} with ${versionText(v)}, but ${op.client} had already written ${op.key} with ${versionText(earlier.write.v)} (op ${earlier.write.op.id})`,
        }
      : null,
  'monotonic-writes': (earlier, op, v) =>
    isWrite(op) && earlier.write !== null && v <= earlier.write.v
      ? {
          witness: earlier.write,
          sentence: `${opText(op)} got ${versionText(v)}, not newer than ${op.client}'s earlier write of ${op.key} with ${versionText(earlier.write.v)} (op ${earlier.write.op.id})`,
        }
      : null,
  'writes-follow-reads': (earlier, op, v) =>
    isWrite(op) && earlier.read !== null && v <= earlier.read.v
      ? {
          witness: earlier.read,
          sentence: `${opText(op)} got ${versionText(v)}, not newer than the ${versionText(earlier.read.v)} ${op.client} had read before (op ${earlier.read.op.id} from ${earlier.read.op.server})`,
        }
      : null,
};

function checkSessions(input: CheckInput, guarantee: keyof typeof RULES): Violation[] {
  const rule = RULES[guarantee];
  const violations: Violation[] = [];
  for (const ops of sessions(input.operations).values()) {
    const earlier: { read: Best | null; write: Best | null } = { read: null, write: null };
    for (const op of ops) {
      const v = versionOf(op);
      if (v === null) continue;
      const broken = rule(earlier, op, v);
      if (broken !== null) {
        violations.push({
          guarantee,
          ops: [broken.witness.op.id, op.id],
          nodes: [op.server ?? ''].filter((n) => n !== ''),
          at: op.completedAt ?? op.invokedAt,
          sentence: broken.sentence,
        });
      }
      const slot = op.op === 'get' ? 'read' : 'write';
      const best = earlier[slot];
      if (best === null || v > best.v) earlier[slot] = { op, v };
    }
  }
  return violations;
}

/** MW's second half: no replica holds a client's earlier write after it has held a later one. */
function replicaOrder(input: CheckInput): Violation[] {
  const position = new Map<string, { op: Operation; pos: number }>();
  for (const ops of sessions(input.operations).values()) {
    let pos = 0;
    for (const op of ops) if (isWrite(op)) position.set(op.requestId, { op, pos: pos++ });
  }
  const held = new Map<string, { op: Operation; pos: number }>();
  const violations: Violation[] = [];
  for (const apply of input.applies) {
    const w = apply.origin === null ? undefined : position.get(apply.origin);
    if (w === undefined) continue;
    const id = `${apply.node}\u0000${apply.key}\u0000${w.op.session}`;
    const latest = held.get(id);
    if (latest !== undefined && w.pos < latest.pos) {
      violations.push({
        guarantee: 'monotonic-writes',
        ops: [latest.op.id, w.op.id],
        nodes: [apply.node],
        at: apply.t,
        sentence: `${apply.node} stored ${opText(w.op)} with ts ${apply.ts} after it had already held ${opText(latest.op)}, which ${w.op.client} issued later in the same session`,
      });
    } else if (latest === undefined || w.pos > latest.pos) {
      held.set(id, w);
    }
  }
  return violations;
}

function sessionChecker(guarantee: keyof typeof RULES): Checker {
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
