// Seeded randomness, the only kind the simulation may use. Each subsystem draws from its own
// named stream (`<seed>/network`, `<seed>/workload`, …) so that drawing more numbers in one of
// them never reshuffles the others. Draws are integers; probabilities are per mille.

import seedrandom from 'seedrandom';

export class Stream {
  private readonly next: () => number;

  constructor(
    readonly name: string,
    seed: string | number,
  ) {
    this.next = seedrandom.alea(`${seed}/${name}`);
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max], both included. */
  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability permille / 1000. */
  chance(permille: number): boolean {
    return permille > 0 && this.below(1000) < permille;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new Error(`stream ${this.name}: pick from an empty list`);
    return item;
  }
}
