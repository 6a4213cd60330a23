// The linearizability checker's hard case for the bench: one key with dozens of operations that
// all overlap, as when pipelined requests wait behind a partition and are answered at the heal.

import type { RegisterOp } from '../check/register.ts';
import { Stream } from '../kernel/rng.ts';

/**
 * `n` operations on one key, all issued before any is answered, answered in a random order; 40%
 * PUTs, the rest GETs whose values a random order of the operations explains. Timestamps are
 * drawn at random, so the timestamp order is no linearization and the exact decision must run.
 * `distinct`: every PUT writes its own value (as the workloads do); otherwise values repeat
 * among three. `broken` adds two reads after every answer that disagree, so no order exists.
 */
export function overlappingKey(
  n: number,
  options: { readonly distinct: boolean; readonly broken: boolean; readonly seed?: number },
): RegisterOp[] {
  const rng = new Stream('bench-overlap', options.seed ?? n);
  const answerOrder = Array.from({ length: n }, (_, i) => i);
  shuffle(answerOrder, rng);
  const linearOrder = Array.from({ length: n }, (_, i) => i);
  shuffle(linearOrder, rng);
  const write = Array.from({ length: n }, () => rng.below(10) < 4);
  const value = Array.from({ length: n }, (_, i) =>
    options.distinct ? `v${i}` : `v${rng.below(3)}`,
  );
  // Reads return what the register holds at their place in linearOrder.
  let state: string | null = null;
  const read = new Array<string | null>(n).fill(null);
  for (const i of linearOrder) {
    if (write[i]) state = value[i]!;
    else read[i] = state;
  }
  const ops: RegisterOp[] = [];
  for (let i = 0; i < n; i++) {
    ops.push({
      id: i + 1,
      write: write[i]!,
      value: write[i] ? value[i]! : read[i]!,
      inv: i,
      ret: n + answerOrder[i]!,
      ts: rng.below(1_000_000) + 1,
    });
  }
  if (options.broken) {
    const written = ops.filter((o) => o.write).map((o) => o.value);
    const a = written[0] ?? null;
    const b = written.find((v) => v !== a) ?? null;
    ops.push({ id: n + 1, write: false, value: a, inv: 2 * n, ret: 2 * n + 1, ts: 1 });
    ops.push({ id: n + 2, write: false, value: b, inv: 2 * n + 2, ret: 2 * n + 3, ts: 1 });
  }
  return ops;
}

function shuffle(xs: number[], rng: Stream): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
