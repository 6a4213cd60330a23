// fast-check arbitraries for random runs: one per part of a plan. Every field shrinks towards the
// simplest run (fewer operations, no gap, no fault, no loss), so a failing plan shrinks to a case
// a person can read. Nothing here draws its own randomness: fast-check's seed drives it all.

import fc from 'fast-check';
import type { FaultKind, Plan, PlannedFault, PlannedNetwork, PlannedOp } from './plan.ts';

export const FAULT_KINDS: readonly FaultKind[] = ['crash', 'partition', 'cut', 'hold', 'clockStep'];

export function opArb(): fc.Arbitrary<PlannedOp> {
  return fc.record({
    gapMs: fc.integer({ min: 0, max: 40 }),
    client: fc.nat({ max: 7 }),
    kind: fc.constantFrom<PlannedOp['kind']>('put', 'get', 'delete'),
    key: fc.nat({ max: 7 }),
    via: fc.option(fc.nat({ max: 7 }), { nil: null, freq: 2 }),
  });
}

export function faultArb(): fc.Arbitrary<PlannedFault> {
  return fc.record({
    kind: fc.constantFrom(...FAULT_KINDS),
    atPermille: fc.nat({ max: 1000 }),
    // Up to 6 s: long enough to outlast the lock store's 5 s lease.
    durationMs: fc.integer({ min: 1, max: 6_000 }),
    a: fc.nat({ max: 255 }),
    b: fc.nat({ max: 255 }),
    byMs: fc.integer({ min: -5_000, max: 5_000 }),
  });
}

/** Zero shrinks first: a fault that is off is the simplest fault. */
function sometimes(max: number): fc.Arbitrary<number> {
  return fc.oneof(fc.constant(0), fc.integer({ min: 1, max }));
}

export function networkArb(): fc.Arbitrary<PlannedNetwork> {
  return fc.record({
    delayMinMs: fc.integer({ min: 1, max: 10 }),
    delaySpreadMs: sometimes(40),
    dropPermille: sometimes(150),
    duplicatePermille: sometimes(150),
    spikePermille: sometimes(100),
    spikeMs: fc.integer({ min: 0, max: 1_000 }),
  });
}

export interface PlanBounds {
  readonly minOps: number;
  readonly maxOps: number;
  readonly maxFaults: number;
}

export function planArb(bounds: PlanBounds): fc.Arbitrary<Plan> {
  return fc.record({
    seed: fc.nat({ max: 1_000_000 }),
    clients: fc.integer({ min: 1, max: 4 }),
    keys: fc.integer({ min: 1, max: 8 }),
    network: networkArb(),
    faultKinds: fc.subarray([...FAULT_KINDS]),
    // 'max': lengths spread over the whole range the caller asked for, not fast-check's handful.
    ops: fc.array(opArb(), { minLength: bounds.minOps, maxLength: bounds.maxOps, size: 'max' }),
    faults: fc.array(faultArb(), { maxLength: bounds.maxFaults, size: 'max' }),
  });
}
