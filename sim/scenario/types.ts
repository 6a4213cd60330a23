// What a scenario file says, as types: a student's `satisfies Scenario` gets the same field names,
// step shapes and reply names that the checker (check.ts) enforces when the file is loaded.

import type { NodeId } from '../../protocol/core.ts';
import type { LockKnobs } from '../../protocol/lock/index.ts';
import type { ReplicatedKnobs } from '../../protocol/replicated/index.ts';
import type { GuaranteeId } from '../check/index.ts';
import type { NetworkConfig } from '../kernel/network.ts';
import type { StoreName } from '../stores/index.ts';
import type { LockReplyName, ReplicatedReplyName, ReplyName } from './replies.ts';

/**
 * What an operation's reply must be: a reply name (`'PUT_OK'`), or a reply with its value, the
 * server that answered, or that the operation is still pending at the end. R: the store's replies.
 */
export type OpExpectation<R extends string = ReplyName> =
  | R
  | {
      readonly reply?: R;
      readonly value?: string | null;
      readonly server?: NodeId;
      readonly pending?: true;
    };

interface StepBase {
  /** Virtual time in ms from the start of the run. */
  readonly at: number;
  /** Shown in the timeline beside the step. */
  readonly note?: string;
}

interface OpStepBase<R extends string> extends StepBase {
  readonly client: NodeId;
  /** The server to ask; omitted, the client picks one at random (the seeded workload stream). */
  readonly via?: NodeId;
  readonly expect?: OpExpectation<R>;
}

/**
 * One timed step. R: the reply names its expectation may use; a step built by a program with no
 * expectation (the explorer, the bench) needs none, so the default admits no reply name.
 */
export type Step<R extends string = never> =
  | (OpStepBase<R> & { readonly put: readonly [key: string, value: string] })
  | (OpStepBase<R> & { readonly get: string })
  | (OpStepBase<R> & { readonly delete: string })
  | (StepBase & { readonly crash: NodeId })
  | (StepBase & { readonly restart: NodeId })
  | (StepBase & { readonly partition: readonly (readonly NodeId[])[] })
  | (StepBase & {
      readonly cut: { readonly from: readonly NodeId[]; readonly to: readonly NodeId[] };
    })
  | (StepBase & { readonly heal: true })
  | (StepBase & { readonly hold: readonly [from: NodeId, to: NodeId] })
  | (StepBase & { readonly release: readonly [from: NodeId, to: NodeId] })
  | (StepBase & { readonly clockStep: NodeId; readonly byMs: number })
  /** The next message of that type ('*': any) sent from → to after `at` is lost, … */
  | (StepBase & { readonly drop: string; readonly from: NodeId; readonly to: NodeId })
  /** … delivered twice (the message byMs late, its copy copyByMs late; both 0 by default), … */
  | (StepBase & {
      readonly duplicate: string;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly byMs?: number;
      readonly copyByMs?: number;
    })
  /** … or byMs later than the network would deliver it. */
  | (StepBase & {
      readonly delay: string;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly byMs: number;
    });

export type ReplicatedStep = Step<ReplicatedReplyName>;
export type LockStep = Step<LockReplyName>;

/** A scenario of one store S, whose steps may expect the replies R. */
export interface ScenarioOf<S extends StoreName, R extends string> {
  /** A one-line goal, shown by `--list` and at the top of the timeline. */
  readonly goal: string;
  /** Which protocol runs: the replicated store (the default) or the lock store. */
  readonly store?: S;
  /** How many servers (s1..sN), or their names. Default 3 (the lock store: 1). */
  readonly servers?: number | readonly NodeId[];
  /** Default: the first server. */
  readonly leader?: NodeId;
  /** How many clients (c1..cM), or their names. Default 2. */
  readonly clients?: number | readonly NodeId[];
  readonly preset?: 'seed' | 'fixed';
  /** Knob overrides over the preset; the store's own knob names (see the README). */
  readonly knobs?: Partial<ReplicatedKnobs> & Partial<LockKnobs>;
  readonly network?: Partial<NetworkConfig>;
  /** Initial clock offset per node, in ms. */
  readonly clockSkewMs?: Readonly<Record<NodeId, number>>;
  /** The seed used when the command line gives none. Default 1. */
  readonly seed?: number;
  /** Stop the run at this virtual time even if messages or timers remain. */
  readonly runUntilMs?: number;
  /** How long an operation may stay pending before liveness calls it stuck, in ms. */
  readonly livenessBoundMs?: number;
  readonly steps: readonly Step<R>[];
  /**
   * The guarantees this run must break — exactly these, no more — and the informative findings it
   * must show (linearizability, causality). Omitted: no guarantee may break.
   */
  readonly expect?: {
    readonly violations?: readonly GuaranteeId[];
    readonly findings?: readonly GuaranteeId[];
  };
}

/** What a scenario file default-exports: its steps may expect only its own store's replies. */
export type Scenario =
  | ScenarioOf<'replicated', ReplicatedReplyName>
  | (ScenarioOf<'lock', LockReplyName> & { readonly store: 'lock' });

/** Any scenario of any store: what the runner takes (every Scenario is one). */
export type AnyScenario = ScenarioOf<StoreName, ReplyName>;
