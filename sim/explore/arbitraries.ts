// fast-check arbitraries for random runs: one per part of a plan. Every field shrinks towards the
// simplest run (fewer operations, no gap, no fault), so a failing plan shrinks to a case a person
// can read. Nothing here draws its own randomness: fast-check's seed drives it all.

import fc from 'fast-check';
import type {
  FaultKind,
  MessageFaultKind,
  OpKind,
  Plan,
  PlannedFault,
  PlannedMessageFault,
  PlannedNetwork,
  PlannedOp,
} from './plan.ts';

export const FAULT_KINDS: readonly FaultKind[] = ['crash', 'partition', 'cut', 'hold', 'clockStep'];
export const MESSAGE_FAULT_KINDS: readonly MessageFaultKind[] = ['drop', 'duplicate', 'delay'];
const OP_KINDS: readonly OpKind[] = ['put', 'get', 'delete'];

export function opArb(): fc.Arbitrary<PlannedOp> {
  return fc.record({
    gapMs: fc.integer({ min: 0, max: 40 }),
    client: fc.nat({ max: 7 }),
    kind: fc.nat({ max: 5 }),
    key: fc.nat({ max: 31 }),
    follow: fc.nat({ max: 3 }),
    via: fc.nat({ max: 7 }),
  });
}

export function faultArb(): fc.Arbitrary<PlannedFault> {
  return fc.record({
    kind: fc.nat({ max: FAULT_KINDS.length - 1 }),
    // Past 1000: after the last operation, while the run settles and nothing rewrites a key.
    atPermille: fc.nat({ max: 1250 }),
    // Up to 6 s: long enough to outlast the lock store's 5 s lease.
    durationMs: fc.integer({ min: 1, max: 6_000 }),
    a: fc.nat({ max: 255 }),
    onServers: fc.boolean(),
    b: fc.nat({ max: 255 }),
    byMs: fc.integer({ min: -5_000, max: 5_000 }),
  });
}

export function messageFaultArb(): fc.Arbitrary<PlannedMessageFault> {
  return fc.record({
    kind: fc.nat({ max: MESSAGE_FAULT_KINDS.length - 1 }),
    op: fc.nat({ max: 127 }),
    betweenServers: fc.nat({ max: 2 }).map((n) => n > 0),
    link: fc.nat({ max: 255 }),
    byMs: fc.integer({ min: 1, max: 2_000 }),
  });
}

/** Zero shrinks first: a fault that is off is the simplest fault. */
function sometimes(max: number): fc.Arbitrary<number> {
  return fc.oneof(fc.constant(0), fc.integer({ min: 1, max }));
}

/**
 * Delays drawn by the network; its late messages, losses and copies are planned faults instead,
 * so that shrinking can take them out one at a time. `lossy` adds the network's own loss and
 * copy rates beside them: heavy loss for a search that expects to find nothing (the fixed preset's
 * property), where a case need not shrink well.
 */
export function networkArb(lossy = false): fc.Arbitrary<PlannedNetwork> {
  return fc.record({
    delayMinMs: fc.integer({ min: 1, max: 10 }),
    delaySpreadMs: sometimes(40),
    dropPermille: lossy ? sometimes(150) : fc.constant(0),
    duplicatePermille: lossy ? sometimes(150) : fc.constant(0),
  });
}

export interface PlanBounds {
  readonly minOps: number;
  readonly maxOps: number;
  readonly maxFaults: number;
  /** Faults aimed at single messages (drop, duplicate, delay): the network's losses as data. */
  readonly maxMessageFaults: number;
  /** The network also loses and copies messages at random rates (see networkArb). */
  readonly lossy?: boolean;
}

/** A client's mix: everything, a reader, a writer, or one of fast-check's own subsets. */
function mixArb(): fc.Arbitrary<OpKind[]> {
  return fc.oneof(
    fc.constant<OpKind[]>(['put', 'get', 'delete']),
    fc.constant<OpKind[]>(['get']),
    fc.constant<OpKind[]>(['put', 'delete']),
    fc.subarray([...OP_KINDS], { minLength: 1 }),
  );
}

/**
 * Short, medium and long workloads alike (swarm): a short one leaves keys that some servers have
 * never seen and ends soon after its faults, where a long one rewrites every key and hides them.
 */
function workloadArb(bounds: PlanBounds): fc.Arbitrary<PlannedOp[]> {
  const caps = [...new Set([8, 30, bounds.maxOps].map((n) => Math.min(bounds.maxOps, n)))];
  const arrays = caps
    .filter((cap) => cap >= bounds.minOps)
    // 'max': lengths spread over the whole range, not fast-check's handful.
    .map((cap) => fc.array(opArb(), { minLength: bounds.minOps, maxLength: cap, size: 'max' }));
  return fc.oneof(...arrays);
}

export function planArb(bounds: PlanBounds): fc.Arbitrary<Plan> {
  return fc.record({
    seed: fc.nat({ max: 1_000_000 }),
    clients: fc.integer({ min: 1, max: 4 }),
    keys: fc.integer({ min: 1, max: 32 }),
    pace: fc.constantFrom(1, 4, 16),
    mixes: fc.array(mixArb(), { minLength: 4, maxLength: 4 }),
    network: networkArb(bounds.lossy),
    faultKinds: fc.subarray([...FAULT_KINDS]),
    messageFaultKinds: fc.subarray([...MESSAGE_FAULT_KINDS]),
    ops: workloadArb(bounds),
    faults: fc.array(faultArb(), { maxLength: bounds.maxFaults, size: 'max' }),
    messageFaults: fc.array(messageFaultArb(), {
      maxLength: bounds.maxMessageFaults,
      size: 'max',
    }),
  });
}
