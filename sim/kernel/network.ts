// The simulated network's settings and its per-message decisions. Delays are integer ms drawn
// uniformly from [delayMinMs, delayMaxMs], with an optional spike; loss and duplication are per
// mille. Delivery is not FIFO unless asked: two messages on a link may overtake each other.

import type { Stream } from './rng.ts';

export interface NetworkConfig {
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  /** With this chance a message is late by up to spikeMs more. */
  readonly spikePermille: number;
  readonly spikeMs: number;
  readonly dropPermille: number;
  readonly duplicatePermille: number;
  /** true: messages on one link arrive in the order they were sent. */
  readonly fifo: boolean;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  delayMinMs: 1,
  delayMaxMs: 10,
  spikePermille: 0,
  spikeMs: 0,
  dropPermille: 0,
  duplicatePermille: 0,
  fifo: false,
};

const LIMITS: {
  readonly [K in keyof NetworkConfig]: NetworkConfig[K] extends boolean
    ? 'bool'
    : readonly [number, number];
} = {
  delayMinMs: [1, 3_600_000],
  delayMaxMs: [1, 3_600_000],
  spikePermille: [0, 1000],
  spikeMs: [0, 3_600_000],
  dropPermille: [0, 1000],
  duplicatePermille: [0, 1000],
  fifo: 'bool',
};

/** Fills in defaults and checks ranges; returns an error sentence for the first bad field. */
export function resolveNetwork(
  raw: unknown,
): { ok: true; value: NetworkConfig } | { ok: false; error: string } {
  if (raw === undefined) return { ok: true, value: DEFAULT_NETWORK };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      error: 'network must be an object such as { delayMinMs: 1, delayMaxMs: 10 }',
    };
  }
  const out: Record<string, number | boolean> = { ...DEFAULT_NETWORK };
  for (const [name, value] of Object.entries(raw)) {
    if (!Object.hasOwn(LIMITS, name)) {
      return {
        ok: false,
        error: `unknown network setting '${name}'; the settings are: ${Object.keys(LIMITS).join(', ')}`,
      };
    }
    const limit = LIMITS[name as keyof NetworkConfig];
    if (limit === 'bool') {
      if (typeof value !== 'boolean')
        return {
          ok: false,
          error: `network.${name} must be true or false (got ${JSON.stringify(value)})`,
        };
    } else if (
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < limit[0] ||
      value > limit[1]
    ) {
      return {
        ok: false,
        error: `network.${name} must be an integer from ${limit[0]} to ${limit[1]} (got ${JSON.stringify(value)})`,
      };
    }
    out[name] = value;
  }
  const net = out as unknown as NetworkConfig;
  if (net.delayMaxMs < net.delayMinMs) {
    return {
      ok: false,
      error: `network.delayMaxMs (${net.delayMaxMs}) must be at least delayMinMs (${net.delayMinMs})`,
    };
  }
  return { ok: true, value: net };
}

export function drawDelay(net: NetworkConfig, rng: Stream): number {
  const base =
    net.delayMinMs === net.delayMaxMs
      ? net.delayMinMs
      : rng.between(net.delayMinMs, net.delayMaxMs);
  return net.spikePermille > 0 && rng.chance(net.spikePermille)
    ? base + rng.between(0, net.spikeMs)
    : base;
}
