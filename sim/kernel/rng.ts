// Seeded randomness, the only kind the simulation may use. Each subsystem draws from its own
// named stream (`<seed>/network`, `<seed>/workload`, …) so that drawing more numbers in one of
// them never reshuffles the others. Draws are integers; probabilities are per mille.

import seedrandom from 'seedrandom';

/** Where a stream stands: enough to resume it exactly (a snapshot of the world holds one per stream). */
export type StreamPosition = seedrandom.State.Alea;

export class Stream {
  private readonly next: seedrandom.StatefulPRNG<StreamPosition>;

  /** A stream named `name` under `seed`, at its start or at a saved position. */
  constructor(
    readonly name: string,
    seed: string | number,
    at?: StreamPosition,
  ) {
    this.next = seedrandom.alea(`${seed}/${name}`, { state: at ?? true });
  }

  /** Where the stream stands now; a stream built with it draws what this one will draw next. */
  position(): StreamPosition {
    return this.next.state();
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
