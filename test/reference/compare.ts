// Compares the checkers' verdicts of one run with the reference's, guarantee by guarantee: the
// status (held, broken, not judged) and, where PROTOCOL.md §3 names them, the operations.

import type { ScenarioRun } from '../../sim/scenario.ts';
import type { ConvergenceVerdict } from './convergence.ts';
import { type RefVerdict, referenceVerdicts } from './index.ts';
import { isWitness, type LinearizabilityVerdict } from './linearizability.ts';

export interface Disagreement {
  readonly guarantee: string;
  readonly what: string;
}

/** Guarantees whose every witness is a pair the reference names exactly. */
const EXACT_PAIRS = new Set([
  'monotonic-reads',
  'monotonic-writes',
  'read-your-writes',
  'writes-follow-reads',
  'unique-timestamps',
]);

const sameSet = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

export function compareRun(
  run: ScenarioRun,
  reference: Map<string, RefVerdict> = referenceVerdicts(run),
): Disagreement[] {
  const found: Disagreement[] = [];
  const differ = (guarantee: string, what: string) => found.push({ guarantee, what });
  const ops = run.result.history.operations;
  const keyOf = new Map(ops.map((op) => [op.id, op.key]));
  for (const verdict of run.verdicts) {
    const g = verdict.guarantee;
    const ref = reference.get(g);
    if (ref === undefined) {
      differ(g, 'the reference does not judge it');
      continue;
    }
    const named = verdict.violations.map((v) => v.ops);
    if (g === 'linearizability') {
      const lin = ref as LinearizabilityVerdict;
      // A witness the search cannot decide within its budget is not checked.
      for (const w of named)
        if (isWitness(ops, w) === false) differ(g, `checker's witness [${w}] can be ordered`);
      if (ref.status === 'not-judged' && verdict.status !== 'not-judged') continue;
      if (verdict.status !== ref.status)
        differ(g, `checker ${verdict.status}, reference ${ref.status} (keys ${lin.brokenKeys})`);
      continue;
    }
    if (verdict.status !== ref.status) {
      const refOps = ref.witnesses
        .slice(0, 3)
        .map((w) => `[${w}]`)
        .join(' ');
      const chkOps = named
        .slice(0, 3)
        .map((w) => `[${w}]`)
        .join(' ');
      differ(g, `checker ${verdict.status} ${chkOps}, reference ${ref.status} ${refOps}`);
      continue;
    }
    if (g === 'causality') {
      // Any answered operation on the missing key can stand for the cause: compare the write and
      // the key of its cause.
      for (const [cause, write] of named)
        if (!ref.witnesses.some(([c, w]) => w === write && keyOf.get(c!) === keyOf.get(cause!)))
          differ(g, `checker names [${cause},${write}], which the reference does not`);
    } else if (g === 'mutual-exclusion') {
      // Two holders by their operations; a stray write by its own (the checker adds the holder).
      for (const w of named)
        if (!ref.witnesses.some((r) => r.every((id) => w.includes(id))))
          differ(g, `checker names [${w}], which the reference does not`);
    } else if (EXACT_PAIRS.has(g)) {
      for (const w of named)
        if (!ref.witnesses.some((r) => sameSet(r, w)))
          differ(g, `checker names [${w}], which the reference does not`);
    } else if (g === 'convergence') {
      // One violation per key the replicas disagree on (no operation named), and for each key
      // with lost writes one that names a lost write (the checker shows one witness a key).
      const { lost, divergent } = ref as ConvergenceVerdict;
      const disagreeing = named.filter((w) => w.length === 0).length;
      if (disagreeing !== divergent.length)
        differ(g, `checker finds ${disagreeing} divergent keys, reference ${divergent}`);
      const keysLost = new Set(lost.map((id) => keyOf.get(id)));
      const keysNamed = new Set(
        named.flatMap((w) => w.filter((id) => lost.includes(id)).map((id) => keyOf.get(id))),
      );
      for (const w of named)
        if (w.length > 0 && !w.some((id) => lost.includes(id)))
          differ(g, `checker names [${w}] as lost, the reference loses only [${lost}]`);
      for (const key of keysLost)
        if (!keysNamed.has(key)) differ(g, `reference loses writes of ${key}: [${lost}]`);
    } else if (g === 'liveness') {
      const refIds = ref.witnesses.flat();
      for (const w of named)
        if (!w.some((id) => refIds.includes(id)))
          differ(g, `checker names [${w}], none pending past the bound in the reference`);
    }
  }
  return found;
}
