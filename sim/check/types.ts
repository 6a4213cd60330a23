// The checkers' shared vocabulary: what they read (a run's history and final replicas), what they
// report (violations with their smallest witness and one sentence), and the verdict per guarantee.
// A store plugs in by listing the checkers that apply to it (see index.ts).

import type { Key, NodeId } from '../../protocol/core.ts';
import type { Apply, LockEvent, Operation, Wipe } from '../kernel/history.ts';

export type GuaranteeId =
  | 'monotonic-reads'
  | 'monotonic-writes'
  | 'read-your-writes'
  | 'writes-follow-reads'
  | 'convergence'
  | 'liveness'
  | 'unique-timestamps'
  | 'mutual-exclusion'
  /** Informative: explains, never fails a run by itself. */
  | 'linearizability'
  | 'causality';

export const GUARANTEE_NAMES: Readonly<Record<GuaranteeId, string>> = {
  'monotonic-reads': 'monotonic reads',
  'monotonic-writes': 'monotonic writes',
  'read-your-writes': 'read your writes',
  'writes-follow-reads': 'writes follow reads',
  convergence: 'convergence',
  liveness: 'liveness',
  'unique-timestamps': 'unique timestamps',
  'mutual-exclusion': 'mutual exclusion',
  linearizability: 'linearizability (informative)',
  causality: 'cross-key causality (informative)',
};

export interface Violation {
  readonly guarantee: GuaranteeId;
  /**
   * The witness: the operations involved, not in the order the sentence tells them. A pair comes
   * earlier first (in the session, or in the history), but for a replica that went back the write
   * it held first, for a write outside a lock the writer, and for cross-key causality the cause;
   * a linearizability witness comes in the history's order.
   */
  readonly ops: readonly number[];
  /** Replicas involved (convergence, a replica holding an older write). */
  readonly nodes: readonly NodeId[];
  /** Virtual time at which the violation became visible. */
  readonly at: number;
  /** One sentence in the protocol's own words. */
  readonly sentence: string;
}

export type VerdictStatus = 'held' | 'broken' | 'not-judged';

export interface Verdict {
  readonly guarantee: GuaranteeId;
  readonly informative: boolean;
  readonly status: VerdictStatus;
  /**
   * Why a guarantee was not judged (e.g. the run did not settle); beside violations, what part of
   * the run was left unjudged (e.g. a key beyond the linearizability search's bound).
   */
  readonly reason: string | null;
  readonly violations: readonly Violation[];
  /**
   * Linearizability only: for each key judged linearizable, an order of its operations that
   * respects real time and a register's values (certificate.ts checks one).
   */
  readonly linearizations?: readonly Linearization[];
}

/** One key's certificate: its register operations' ids in an order that linearizes them. */
export interface Linearization {
  readonly key: string;
  readonly order: readonly number[];
}

export interface ReplicaState {
  readonly up: boolean;
  readonly store: ReadonlyMap<
    Key,
    {
      readonly value: string | null;
      readonly ts: number;
      /** The client request whose write this version is (client.seq), when known. */
      readonly origin?: string | null;
    }
  >;
}

/**
 * How long an operation may stay pending once faults have ended before a run cut by its time
 * bound calls it dead (PROTOCOL.md §3): derived from the knobs, or set by the scenario. `ms` is
 * null when nothing bounds it (e.g. the network drops messages), with the reason, and what lets
 * such a run be judged where it is not a scenario's livenessBoundMs (a live run has no scenario).
 */
export type LivenessBound =
  | { readonly ms: number; readonly from: string }
  | { readonly ms: null; readonly why: string; readonly mend?: string };

export interface CheckInput {
  readonly operations: readonly Operation[];
  readonly applies: readonly Apply[];
  readonly locks: readonly LockEvent[];
  /**
   * Replicas whose store a restart emptied (durability=memory), in order; absent from histories
   * written before they were recorded, which then read as if no store was ever emptied.
   */
  readonly wipes?: readonly Wipe[];
  /** Each server's store at the end of the run. */
  readonly replicas: ReadonlyMap<NodeId, ReplicaState>;
  /** The run ended with nothing left to do. */
  readonly quiescent: boolean;
  /** Virtual time of the run's last event (or its time bound). */
  readonly endedAt: number;
  /**
   * When the faults had played out (the last fault injected or undone, or a message a fault delayed
   * leaving late): liveness bounds are counted from then.
   */
  readonly faultsEndAt: number;
  /** No partition, cut or held link at the end. */
  readonly networkHealed: boolean;
  /** The stated bound for runs cut by their time bound; omitted, such runs are not judged. */
  readonly livenessBound?: LivenessBound;
  /** Why an operation never completed, in words (which message it waits for). */
  readonly explainPending: (op: Operation) => string;
}

export interface Checker {
  readonly guarantee: GuaranteeId;
  readonly informative: boolean;
  /**
   * Returns the violations, or a reason when the run cannot be judged for this guarantee;
   * `undecided` says what part was left unjudged (no violation and a part undecided: not judged).
   */
  check(input: CheckInput):
    | {
        readonly violations: readonly Violation[];
        readonly undecided?: string;
        readonly linearizations?: readonly Linearization[];
      }
    | { readonly notJudged: string };
}
