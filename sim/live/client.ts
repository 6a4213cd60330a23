// A live client: the store's unchanged client machine on a TCP connection to the servers. It asks
// the servers what they run (store, knobs), builds the same client the simulator would, and tells
// its caller when each operation completes — with the reply in the protocol's own words.

import type { Key, NodeId, Observation } from '../../protocol/core.ts';
import { resolveStoreKnobs, STORES, type StoreName } from '../stores/index.ts';
import { type Address, probe } from './endpoint.ts';
import type { Clock } from './host.ts';
import { type ClusterSpec, LiveNode, type LiveObserver, nodeSpecs } from './node.ts';
import type { Hello } from './wire.ts';

export type LiveOp =
  | { readonly kind: 'put'; readonly key: Key; readonly value: string }
  | { readonly kind: 'get'; readonly key: Key }
  | { readonly kind: 'delete'; readonly key: Key };

export type Completion = Extract<Observation, { kind: 'complete' }>;

/** Asks every server what it runs; they must agree and be the cluster's s1..sN in order. */
export async function greetCluster(
  addresses: readonly Address[],
  id: NodeId,
  withinMs: number,
): Promise<Hello> {
  const hellos = await Promise.all(addresses.map((a) => probe(a, id, withinMs)));
  const first = hellos[0]!;
  hellos.forEach((hello, i) => {
    const where = `${addresses[i]!.host}:${addresses[i]!.port}`;
    const expected = `s${i + 1}`;
    if (hello.node !== expected)
      throw new Error(
        `${where} is ${hello.node}, not ${expected}: list the servers in order s1..sN`,
      );
    if (hello.store !== first.store || hello.servers.length !== addresses.length)
      throw new Error(
        `${where} runs a ${hello.store} store of ${hello.servers.length} servers; list every server of one cluster`,
      );
    const other = settingApart(first, hello);
    if (other !== null)
      throw new Error(
        `${where} (${hello.node}) runs with ${other.theirs} where s1 runs with ${other.first}: list the servers of one cluster, or start each (--only) with the same --preset, --knob and --leader`,
      );
  });
  if (!Object.hasOwn(STORES, first.store))
    throw new Error(`the servers run an unknown store '${first.store}'`);
  // The client's machine is built from these settings: what no server of ours would say is refused.
  const store = STORES[first.store as StoreName];
  const settings = resolveStoreKnobs(store, first.preset, first.knobs, "the servers' store");
  if (!settings.ok)
    throw new Error(`the servers run settings this client cannot take: ${settings.error}`);
  if (!first.servers.includes(first.leader))
    throw new Error(`the servers name a leader, ${first.leader}, that is none of them`);
  // Request ids are the client's name and a count from 1: under requestIds=dedupe, a servers'
  // memory of an earlier client of this name would answer this one's requests with its replies.
  const heard = hellos.find((h) => h.served === true);
  if (heard !== undefined && first.knobs.requestIds === 'dedupe')
    throw new Error(
      `${heard.node} has already served a client named ${id}; with requestIds=dedupe it would take this one's requests for that one's and answer them from memory: give another --id`,
    );
  return first;
}

/** The first setting two servers' greetings disagree on (leader, preset, a knob); null if none. */
function settingApart(first: Hello, hello: Hello): { first: string; theirs: string } | null {
  if (hello.leader !== first.leader)
    return { first: `leader ${first.leader}`, theirs: `leader ${hello.leader}` };
  if (hello.preset !== first.preset)
    return { first: `preset ${first.preset}`, theirs: `preset ${hello.preset}` };
  for (const name of new Set([...Object.keys(first.knobs), ...Object.keys(hello.knobs)]))
    if (hello.knobs[name] !== first.knobs[name])
      return {
        first: `${name}=${first.knobs[name] ?? 'unset'}`,
        theirs: `${name}=${hello.knobs[name] ?? 'unset'}`,
      };
  return null;
}

export class LiveClient {
  readonly node: LiveNode;
  private readonly waiting = new Map<number, (c: Completion) => void>();
  private readonly pendingOps = new Set<number>();
  /** Operations invoked but not yet issued (a sequential session queues one behind another). */
  private readonly queued = new Map<number, () => void>();
  private nextOp: () => number;

  constructor(
    readonly id: NodeId,
    cluster: ClusterSpec,
    addressOf: (server: NodeId) => Address | undefined,
    clock: Clock,
    observer: LiveObserver = {},
    opIds?: () => number,
  ) {
    let n = 0;
    this.nextOp = opIds ?? (() => ++n);
    const spec = nodeSpecs({ ...cluster, clients: [id] }).find((s) => s.id === id)!;
    // Each method forwarded by hand: the observer may be a class, whose methods a spread loses.
    this.node = new LiveNode(spec, cluster, addressOf, clock, {
      sent: (from, to, message) => observer.sent?.(from, to, message),
      delivered: (envelope) => observer.delivered?.(envelope),
      refused: (envelope, why) => observer.refused?.(envelope, why),
      foreign: (envelope) => observer.foreign?.(envelope) ?? null,
      timerFired: (node, timer) => observer.timerFired?.(node, timer),
      stateChanged: (node, s, state) => observer.stateChanged?.(node, s, state),
      recorded: (node, observation) => {
        observer.recorded?.(node, observation);
        if (observation.kind === 'invoke') {
          this.queued.get(observation.opId)?.();
          this.queued.delete(observation.opId);
        }
        if (observation.kind !== 'complete') return;
        this.pendingOps.delete(observation.opId);
        this.waiting.get(observation.opId)?.(observation);
        this.waiting.delete(observation.opId);
      },
    });
  }

  /**
   * Asks for an operation through `via`; `done` settles when it completes (maybe never). `issued`
   * is null when the client sent it at once, else settles when it does: a sequential session
   * holds it back while an earlier one is pending.
   */
  invoke(
    op: LiveOp,
    via: NodeId,
  ): { opId: number; done: Promise<Completion>; issued: Promise<void> | null } {
    const opId = this.nextOp();
    this.pendingOps.add(opId);
    const done = new Promise<Completion>((resolve) => this.waiting.set(opId, resolve));
    const issued = new Promise<void>((resolve) => this.queued.set(opId, resolve));
    this.node.host.invoke(opId, op, via);
    // Recorded as issued during the step (the queue's entry gone): sent at once.
    return { opId, done, issued: this.queued.has(opId) ? issued : null };
  }

  get pending(): number {
    return this.pendingOps.size;
  }

  stop(): Promise<void> {
    return this.node.stop();
  }
}

/**
 * The knobs a client's machine reads (protocol/<store>/client.ts reads no other): a client given
 * any other would change nothing, since only the servers act on it.
 */
export const CLIENT_KNOBS: Readonly<Record<StoreName, readonly string[]>> = {
  replicated: [
    'clientSession',
    'clientTimestamp',
    'requestTimeout',
    'retryOnTryOther',
    'retryLimit',
    'retryBackoff',
  ],
  lock: ['requestTimeout'],
};

/** The cluster description a greeting gives, with the client's own knob overrides on top. */
export function clusterOfHello(
  hello: Hello,
  knobs: Readonly<Record<string, string | number>>,
): ClusterSpec {
  const store = STORES[hello.store as StoreName];
  return {
    store,
    preset: hello.preset,
    knobs: { ...hello.knobs, ...knobs },
    servers: hello.servers,
    leader: hello.leader,
    clients: [],
  };
}
