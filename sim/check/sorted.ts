// Sorting indices by a numeric key without calling a comparator for each pair: the checkers sort
// tens of thousands of a key's operations by timestamp or by sequence number, and a comparator
// sort of that many costs more than the check around it.

/** Below this many, a comparator sort costs less than the radix sort's counting. */
const SMALL = 256;
/** Bits of the key each pass of the radix sort places. */
const DIGIT = 11;

/**
 * The indices 0…n-1 of `keys`, ordered by key and, among equal keys, by index (a stable sort).
 * From SMALL keys on, integer keys spread over less than 2^32 (sequence numbers and timestamps
 * always are) are radix-sorted, 11 bits a pass, and keys already in order cost one pass; fewer
 * keys, and any others, go through a comparator. A plain list or an Int32Array: read it by index.
 */
export function sortedIndices(keys: ArrayLike<number>, n: number = keys.length): ArrayLike<number> {
  if (n < SMALL) return compared(keys, n);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let inOrder = true;
  let integers = true;
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    if (!Number.isInteger(k)) integers = false;
    if (i > 0 && k < keys[i - 1]!) inOrder = false;
    if (k < min) min = k;
    if (k > max) max = k;
  }
  if (!integers || max - min >= 2 ** 32) return compared(keys, n);
  let from = new Int32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  if (inOrder) return from;
  // Least significant digit first: each pass is stable, so ties keep their index order.
  const digits = new Uint32Array(n);
  for (let i = 0; i < n; i++) digits[i] = keys[i]! - min;
  let to = new Int32Array(n);
  const count = new Int32Array((1 << DIGIT) + 1);
  const mask = (1 << DIGIT) - 1;
  const bits = 32 - Math.clz32(max - min);
  for (let shift = 0; shift < bits; shift += DIGIT) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((digits[i]! >>> shift) & mask) + 1]!++;
    for (let d = 0; d < mask + 1; d++) count[d + 1]! += count[d]!;
    for (let i = 0; i < n; i++) {
      const x = from[i]!;
      to[count[(digits[x]! >>> shift) & mask]!++] = x;
    }
    [from, to] = [to, from];
  }
  return from;
}

/** The stable comparator sort (an already sorted list costs a pass of comparisons). */
function compared(keys: ArrayLike<number>, n: number): number[] {
  const all: number[] = [];
  for (let i = 0; i < n; i++) all.push(i);
  return all.sort((a, b) => keys[a]! - keys[b]! || a - b);
}
