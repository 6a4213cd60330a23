// Mutual exclusion for the lock store (PROTOCOL.md §3): no two clients hold a key's lock at once,
// and no write lands from a client that does not hold it. A hold is judged from the client's side,
// since the server's own table never holds two locks; this file also judges the lock store's
// liveness, where a lock nobody will ever free blocks its key for good (A6). Grants, releases,
// expiries, writes, completions and crashes are compared by their place in the run's order of
// events (PROTOCOL.md §3: real time), never by their millisecond, which only the sentences print.

import { issuedBefore } from '../../protocol/core.ts';
import type { Apply, LockEvent, Operation } from '../kernel/history.ts';
import { formatTime } from '../render/format.ts';
import { LIVENESS } from './liveness.ts';
import type { Checker, CheckInput, Violation } from './types.ts';
import { opText } from './words.ts';

/**
 * Where the entries of a history fall in the run's order of events. A History gives every entry a
 * place from one counter (`seq`, `completedSeq`, `abandonedSeq`). A history built without them
 * (by hand) is ordered by its milliseconds, and within one millisecond, as a convention: the
 * operations' completions and crashes first, then the lock releases and expiries, then the
 * grants, then the writes landing.
 */
export interface Order {
  readonly lock: (e: LockEvent) => number;
  readonly apply: (a: Apply) => number;
  /** Infinity while the operation is pending (or was abandoned). */
  readonly completed: (op: Operation) => number;
  /** Infinity unless its client crashed with it pending. */
  readonly abandoned: (op: Operation) => number;
  readonly invoked: (op: Operation) => number;
  /** A place after every entry of an earlier millisecond and before every entry of ms `t` or later. */
  readonly before: (t: number) => number;
}

const never = Number.POSITIVE_INFINITY;

/** Places from the history's own counter: every entry has one. */
function bySeq(
  locks: readonly LockEvent[],
  operations: readonly Operation[],
  applies: readonly Apply[],
): Order {
  let index: { readonly times: Float64Array; readonly upTo: Float64Array } | null = null;
  return {
    lock: (e) => e.seq!,
    apply: (a) => a.seq!,
    completed: (op) => op.completedSeq ?? never,
    abandoned: (op) => (op.abandonedAt === null ? never : op.abandonedSeq!),
    invoked: (op) => op.invokedSeq,
    before: (t) => {
      index ??= placesByTime(locks, operations, applies);
      // The last entry earlier than t, by time; the largest place up to it, and half a place on.
      let lo = 0;
      let hi = index.times.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (index.times[mid]! < t) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 ? -0.5 : index.upTo[lo - 1]! + 0.5;
    },
  };
}

/** Every entry's (ms, place), by ms then place, and the largest place up to each. */
function placesByTime(
  locks: readonly LockEvent[],
  operations: readonly Operation[],
  applies: readonly Apply[],
): { readonly times: Float64Array; readonly upTo: Float64Array } {
  const entries: [number, number][] = [];
  for (const e of locks) entries.push([e.t, e.seq!]);
  for (const a of applies) entries.push([a.t, a.seq!]);
  for (const op of operations) {
    entries.push([op.invokedAt, op.invokedSeq]);
    if (op.completedAt !== null) entries.push([op.completedAt, op.completedSeq!]);
    if (op.abandonedAt !== null) entries.push([op.abandonedAt, op.abandonedSeq!]);
  }
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const times = new Float64Array(entries.length);
  const upTo = new Float64Array(entries.length);
  let most = Number.NEGATIVE_INFINITY;
  entries.forEach(([t, place], i) => {
    most = Math.max(most, place);
    times[i] = t;
    upTo[i] = most;
  });
  return { times, upTo };
}

/** Places from milliseconds: four per millisecond, one for each kind of entry, as `Order` says. */
const BY_TIME: Order = {
  lock: (e) => e.t * 4 + (e.event === 'grant' ? 2 : 1),
  apply: (a) => a.t * 4 + 3,
  completed: (op) => (op.completedAt === null ? never : op.completedAt * 4),
  abandoned: (op) => (op.abandonedAt === null ? never : op.abandonedAt * 4),
  // After every other entry of its millisecond.
  invoked: (op) => op.invokedAt * 4 + 3.5,
  before: (t) => t * 4 - 0.5,
};

/** The order of a history: by its places when every entry has one, else by its milliseconds. */
export function orderOf(
  locks: readonly LockEvent[],
  operations: readonly Operation[],
  applies: readonly Apply[] = [],
): Order {
  const placed =
    locks.every((e) => e.seq !== undefined) &&
    applies.every((a) => a.seq !== undefined) &&
    operations.every((op) => op.abandonedAt === null || op.abandonedSeq != null);
  return placed ? bySeq(locks, operations, applies) : BY_TIME;
}

/** One grant, and how long the client it was granted to could act on it. */
export interface Hold {
  readonly grant: LockEvent;
  /** The grant's place in the order of events. */
  readonly start: number;
  /** The operation the lock was granted for (its request id), if the history knows it. */
  readonly op: Operation | undefined;
  /** The server's release or expiry of this grant; null while the server still holds it. */
  readonly serverEnd: LockEvent | null;
  /**
   * The place in the order of events where the client stopped holding it (Infinity: never);
   * before the grant's, it never held it.
   */
  readonly end: number;
}

/**
 * A grant holds from its time until the first of: its holder's release of the request it was
 * granted for (whichever grant the server freed with it: this one, a later one for the same
 * request, or one a late copy of an earlier request's ACQUIRE_LOCK was granted), its expiry or
 * its lease's end (recorded or not), or the end of the operation it was granted for. A
 * stranger's release (lockOwnerCheck none) frees the server's table but not the client, which
 * goes on as if it held the lock: that is anomaly A5.
 * A crashed client's operation never completes, so its hold ends at the later of its crash and
 * the server freeing the lock, whoever asks; a grant that came after the crash is held by nobody
 * (the crash ended the operation's session).
 * A late copy of the holder's own release of an earlier request (its `byRequest`) frees the
 * server's table as a stranger's release does, and the holder goes on likewise.
 */
export function holdsOf(
  locks: readonly LockEvent[],
  operations: readonly Operation[],
  order: Order = orderOf(locks, operations),
): readonly Hold[] {
  const opOf = new Map(operations.map((op) => [op.requestId, op] as const));
  const grants: LockEvent[] = [];
  const endOf = new Map<number, LockEvent>();
  // Each client's releases of a request's lock, in order, whatever grant the server freed with
  // it: a late copy of its ACQUIRE_LOCK may have had the lock granted again for the same request
  // (or for an earlier one, which this release then frees), and the one RELEASE_LOCK the client
  // sends for a request ends its hold of every grant it got for that request.
  // Indices in `locks`, which is in the order of events.
  const ownReleases = new Map<string, number[]>();
  const grantAt = new Map<LockEvent, number>();
  locks.forEach((event, i) => {
    if (event.event === 'grant') {
      grants.push(event);
      grantAt.set(event, i);
    } else if (event.token !== 0 && !endOf.has(event.token)) endOf.set(event.token, event);
    const request = releasedRequest(event);
    if (request !== null) {
      const list = ownReleases.get(request);
      if (list === undefined) ownReleases.set(request, [i]);
      else list.push(i);
    }
  });
  return grants.map((grant) => {
    const op = opOf.get(grant.requestId);
    const serverEnd = endOf.get(grant.token) ?? null;
    const released = ownReleases.get(`${grant.holder}\u0000${grant.requestId}`);
    const after = released?.find((i) => i > grantAt.get(grant)!);
    const releasedAt = after === undefined ? never : order.lock(locks[after]!);
    const start = order.lock(grant);
    const end = clientEnd(grant, serverEnd, op, releasedAt, order);
    return { grant, start, op, serverEnd, end };
  });
}

function clientEnd(
  grant: LockEvent,
  serverEnd: LockEvent | null,
  op: Operation | undefined,
  releasedAt: number,
  order: Order,
) {
  let end = releasedAt;
  const crash = op === undefined ? never : order.abandoned(op);
  if (serverEnd !== null) {
    const freed = order.lock(serverEnd);
    if (serverEnd.event === 'expire' || ownRelease(serverEnd)) end = Math.min(end, freed);
    // A stranger's release: the client goes on (A5) until its operation ends, and its crash ends
    // it. A crashed client's lock is held until the server frees it, and a free before the crash
    // leaves the client holding it until the crash.
    else if (crash !== never) end = Math.min(end, Math.max(freed, crash));
  }
  // A late copy of the request granted after the operation had finished ends before it starts:
  // nobody holds it. So does one granted once its client had crashed (the ACQUIRE_LOCK was still
  // on its way): the operation it was for was over with its session.
  if (op !== undefined) end = Math.min(end, order.completed(op));
  if (crash < order.lock(grant)) end = Math.min(end, crash);
  // The lease runs out at its time whether or not the server records it: when a stranger freed
  // the lock first, no expiry is recorded, and the holder holds it no longer (PROTOCOL.md §2).
  if (grant.expiresAt != null) end = Math.min(end, order.before(grant.expiresAt));
  return end;
}

/**
 * The client and request a release was sent for (`by`, `byRequest`), whichever grant it freed:
 * the client's own release of that request's lock. Without `byRequest` (a history that does not
 * say), only a release by the grant's holder counts, for the grant's request.
 */
function releasedRequest(e: LockEvent): string | null {
  if (e.event !== 'release' || e.by === null) return null;
  if (e.byRequest != null) return `${e.by}\u0000${e.byRequest}`;
  return e.by === e.holder ? `${e.holder}\u0000${e.requestId}` : null;
}

/**
 * The holder's own release of this lock: sent by its holder for the request it was granted for. A
 * late copy of the holder's release of an earlier request frees the lock too (lockOwnerCheck
 * none), but the holder meant nothing by it and goes on, as after a stranger's release (A5).
 */
function ownRelease(e: LockEvent): boolean {
  return (
    e.event === 'release' &&
    e.by === e.holder &&
    (e.byRequest == null || e.byRequest === e.requestId)
  );
}

/** Who freed a lock, as "… had released" reads: a stranger, or a late copy of the holder's own. */
function releaseText(e: LockEvent): string {
  return e.by === e.holder && e.byRequest != null
    ? `${e.by}'s ${issuedBefore(e.byRequest, e.requestId) ? 'late ' : ''}RELEASE_LOCK for ${e.byRequest} had released`
    : `${e.by} had released`;
}

const held = (h: Hold) => h.end > h.start;

function requestText(h: Hold): string {
  return `${h.grant.holder} still held it for ${h.grant.requestId}`;
}

/** Why the server could grant the lock again although its holder was still using it. */
function freedText(h: Hold): string {
  const end = h.serverEnd;
  if (end === null || end.by === null || ownRelease(end)) return '';
  return ` (${releaseText(end)} ${h.grant.holder}'s lock at ${formatTime(end.t)})`;
}

function overlap(earlier: Hold, later: Hold): Violation {
  const g = later.grant;
  return {
    guarantee: 'mutual-exclusion',
    ops: [earlier.op?.id, later.op?.id].filter((id) => id !== undefined),
    nodes: [g.node],
    at: g.t,
    sentence: `${g.holder} was granted ${g.key}'s lock for ${g.requestId} at ${formatTime(g.t)} while ${requestText(earlier)}${freedText(earlier)}`,
  };
}

/**
 * Per key, in grant order, a sweep keeps the hold that lasts longest and the longest-lasting one
 * of another client: a grant that starts before that one ends has a second holder beside it.
 */
function overlaps(holds: readonly Hold[]): Violation[] {
  const longest = new Map<string, { top: Hold; other: Hold | null }>();
  const violations: Violation[] = [];
  for (const h of holds) {
    if (!held(h)) continue;
    const key = h.grant.key;
    const best = longest.get(key);
    const rival =
      best === undefined ? null : best.top.grant.holder !== h.grant.holder ? best.top : best.other;
    if (rival !== null && rival.end > h.start) violations.push(overlap(rival, h));
    longest.set(key, ranked(best, h));
  }
  return violations;
}

/** Keeps the longest hold, and the longest of a client other than its holder. */
function ranked(best: { top: Hold; other: Hold | null } | undefined, h: Hold) {
  if (best === undefined) return { top: h, other: null };
  const { top, other } = best;
  if (h.end > top.end) {
    return { top: h, other: top.grant.holder !== h.grant.holder ? top : other };
  }
  const isOther = h.grant.holder !== top.grant.holder;
  return { top, other: isOther && (other === null || h.end > other.end) ? h : other };
}

/** The server-side intervals of one key's grants, in grant order, for "who held it at t". */
function serverIntervals(holds: readonly Hold[]): Map<string, Hold[]> {
  const byKey = new Map<string, Hold[]>();
  for (const h of holds) {
    const list = byKey.get(h.grant.key) ?? [];
    list.push(h);
    byKey.set(h.grant.key, list);
  }
  return byKey;
}

/** The first hold, in grant order, that a client still held at place `at`; null when none. */
function clientHolderAt(intervals: readonly Hold[] | undefined, at: number): Hold | null {
  for (const h of intervals ?? []) {
    if (h.start >= at) break;
    if (at < h.end) return h;
  }
  return null;
}

/**
 * The grant the server's table held for the key at place `at` in the order of events (grants
 * never overlap there), or null.
 */
function serverHolderAt(
  intervals: readonly Hold[] | undefined,
  at: number,
  order: Order,
): Hold | null {
  if (intervals === undefined) return null;
  let lo = 0;
  let hi = intervals.length - 1;
  let found: Hold | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const h = intervals[mid]!;
    if (h.start < at) {
      found = h;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found === null || (found.serverEnd !== null && order.lock(found.serverEnd) < at)) return null;
  return found;
}

/** Why the request that wrote did not hold the lock when its write landed. */
function lackText(own: readonly Hold[], apply: Apply, order: Order): string {
  const at = order.apply(apply);
  const before = own.filter((h) => h.grant.key === apply.key && h.start < at).at(-1);
  if (before === undefined) return `${apply.origin} had never been granted ${apply.key}'s lock`;
  const end = before.serverEnd;
  const op = before.op;
  if (op !== undefined && order.completed(op) < at)
    return `${apply.origin} had finished at ${formatTime(op.completedAt!)}`;
  if (end?.event === 'expire') return `its lease had run out at ${formatTime(end.t)}`;
  // A stranger freed the lock first, so no expiry was recorded; the lease ran out all the same.
  const lease = before.grant.expiresAt;
  if (lease != null && order.before(lease) < at && (end === null || !ownRelease(end))) {
    const freed = end?.by != null ? ` (${releaseText(end)} its lock at ${formatTime(end.t)})` : '';
    return `its lease had run out at ${formatTime(lease)}${freed}`;
  }
  if (end !== null && end.by !== null)
    return `${releaseText(end)} its lock at ${formatTime(end.t)}`;
  return `${apply.origin} no longer held ${apply.key}'s lock`;
}

function strayWrite(
  apply: Apply,
  writer: Operation | undefined,
  own: readonly Hold[],
  holder: Hold | null,
  order: Order,
): Violation {
  const who = writer === undefined ? `A write for ${apply.origin}` : opText(writer);
  const crashed = holder?.op?.abandonedAt;
  // A late ACQUIRE_LOCK, granted after its operation had finished: no one holds that grant.
  const late =
    holder !== null && holder.op !== undefined && order.completed(holder.op) < holder.start;
  // The writing request's own: it had been granted the lock before (a client writes only after a grant).
  const again = late && holder.op === writer ? ' again' : '';
  const owner =
    holder === null
      ? `nobody held ${apply.key}'s lock`
      : late
        ? `${apply.node} had granted it to ${holder.grant.requestId}${again} at ${formatTime(holder.grant.t)}, after ${holder.grant.requestId} had finished`
        : crashed != null && order.abandoned(holder.op!) < holder.start
          ? `${apply.node} held ${apply.key}'s lock for ${holder.grant.requestId}, granted after ${holder.grant.holder} had crashed at ${formatTime(crashed)}`
          : holder.end < order.apply(apply) && holder.op?.completedAt != null
            ? `${apply.node} still held ${apply.key}'s lock for ${holder.grant.requestId}, which had finished at ${formatTime(holder.op.completedAt)} without freeing it: nobody held it`
            : `${holder.grant.holder} held ${apply.key}'s lock for ${holder.grant.requestId}`;
  const ops = [writer?.id, holder?.op?.id].filter((id) => id !== undefined);
  return {
    guarantee: 'mutual-exclusion',
    // Each operation once: the writer may be the request the lock was granted to again.
    ops: [...new Set(ops)],
    nodes: [apply.node],
    at: apply.t,
    sentence: `${who} landed at ${apply.node} at ${formatTime(apply.t)} (ts ${apply.ts}) although ${lackText(own, apply, order)}: ${owner}`,
  };
}

/**
 * Every write must land while the client that wrote it holds the key's lock (PROTOCOL.md §3: "no
 * write lands from a client that does not hold it"), for that request or a later one: a late copy
 * of the client's own earlier write under its own lock is another guarantee's business (MW).
 */
function strayWrites(input: CheckInput, holds: readonly Hold[], order: Order): Violation[] {
  const opOf = new Map(input.operations.map((op) => [op.requestId, op] as const));
  const byRequest = new Map<string, Hold[]>();
  const byClient = new Map<string, Hold[]>();
  for (const h of holds) {
    const list = byRequest.get(h.grant.requestId) ?? [];
    list.push(h);
    byRequest.set(h.grant.requestId, list);
    const client = `${h.grant.holder}\u0000${h.grant.key}`;
    const mine = byClient.get(client) ?? [];
    mine.push(h);
    byClient.set(client, mine);
  }
  const intervals = serverIntervals(holds);
  const violations: Violation[] = [];
  for (const apply of input.applies) {
    if (apply.origin === null) continue;
    const own = byRequest.get(apply.origin) ?? [];
    const writer = opOf.get(apply.origin);
    const clientHolds =
      writer === undefined ? own : (byClient.get(`${writer.client}\u0000${apply.key}`) ?? []);
    const at = order.apply(apply);
    const inside = clientHolds.some((h) => h.grant.key === apply.key && h.start < at && at < h.end);
    if (inside) continue;
    // Who held the lock then, as the clients hold it (A5: maybe a client a stranger freed), else
    // the grant the server's table held, which may be one nobody holds.
    const keyHolds = intervals.get(apply.key);
    const holder = clientHolderAt(keyHolds, at) ?? serverHolderAt(keyHolds, at, order);
    violations.push(strayWrite(apply, opOf.get(apply.origin), own, holder, order));
  }
  return violations;
}

export const MUTUAL_EXCLUSION: Checker = {
  guarantee: 'mutual-exclusion',
  informative: false,
  check: (input) => {
    const order = orderOf(input.locks, input.operations, input.applies);
    const holds = holdsOf(input.locks, input.operations, order);
    return { violations: [...overlaps(holds), ...strayWrites(input, holds, order)] };
  },
};

// ---- Liveness: a key nobody will ever unlock -------------------------------------------------

/**
 * Why the holder will never release it, worded to follow "granted to c1 for c1.1 at t": it crashed,
 * or a late copy of its ACQUIRE_LOCK took the lock again once the operation was done with it.
 */
function strandedText(h: Hold, released: LockEvent | undefined, order: Order): string {
  const { grant, op } = h;
  if (op === undefined) return `, for which ${grant.holder} runs no operation`;
  if (op.abandonedAt !== null) {
    // Told in the order it happened: a crash before the grant left its request on its way.
    const crashed = formatTime(op.abandonedAt);
    return order.abandoned(op) < h.start
      ? `, after ${grant.holder} had crashed at ${crashed} with its ACQUIRE_LOCK on its way`
      : `, ${grant.holder} crashed at ${crashed}`;
  }
  const late = ' by a late ACQUIRE_LOCK after';
  if (order.completed(op) < h.start)
    return `${late} ${grant.requestId} had finished at ${formatTime(op.completedAt!)}`;
  if (released !== undefined)
    return `${late} ${grant.holder} had released ${grant.requestId}'s lock at ${formatTime(released.t)}`;
  return `, ${grant.requestId} finished at ${formatTime(op.completedAt ?? grant.t)} without freeing it`;
}

/** When the lock was left with nobody to free it: in milliseconds, and its place in event order. */
function stuckSince(h: Hold, order: Order): { readonly t: number; readonly place: number } {
  const op = h.op;
  if (op === undefined) return { t: h.grant.t, place: h.start };
  const crashed = op.abandonedAt !== null;
  const t = crashed ? op.abandonedAt! : (op.completedAt ?? h.grant.t);
  const place = crashed ? order.abandoned(op) : order.completed(op);
  return { t: Math.max(h.grant.t, t), place: place === never ? h.start : Math.max(h.start, place) };
}

function blockedKey(
  h: Hold,
  released: LockEvent | undefined,
  operations: readonly Operation[],
  order: Order,
): Violation {
  const since = stuckSince(h, order);
  // Evidence is a request made after the lock was stranded, in event order (PROTOCOL.md §3): one
  // made in the same millisecond but before it was denied while the holder still held it.
  const denied = operations.find(
    (op) => op.key === h.grant.key && op.reply === 'LOCK_DENIED' && order.invoked(op) > since.place,
  );
  const g = h.grant;
  const after = denied === undefined ? '' : `; ${opText(denied)} was denied`;
  return {
    guarantee: 'liveness',
    ops: [h.op?.id, denied?.id].filter((id) => id !== undefined),
    nodes: [g.node],
    at: since.t,
    sentence: `Key ${g.key} is locked forever: its lock was granted to ${g.holder} for ${g.requestId} at ${formatTime(g.t)}${strandedText(h, released, order)}, and no release or lease will free it${after}`,
  };
}

/**
 * A lock the server still holds at the end of a settled run, for an operation that is no longer
 * running, will never be released: every later request for the key is denied. A lock held for a
 * pending operation is left to the operation's own liveness report.
 */
export function blockedKeys(input: CheckInput): Violation[] {
  const order = orderOf(input.locks, input.operations, input.applies);
  const holds = holdsOf(input.locks, input.operations, order);
  // The holder's own release of an earlier grant for the same request: the late copy came after it.
  const released = new Map<string, LockEvent>();
  for (const h of holds) {
    const end = h.serverEnd;
    if (end !== null && ownRelease(end)) released.set(h.grant.requestId, end);
  }
  return holds
    .filter((h) => h.serverEnd === null && input.replicas.get(h.grant.node)?.up !== false)
    .filter((h) => h.op === undefined || h.op.completedAt !== null || h.op.abandonedAt !== null)
    .map((h) => blockedKey(h, released.get(h.grant.requestId), input.operations, order));
}

/** The liveness checker, plus the keys a lock blocks forever once the run has settled. */
export const LOCK_LIVENESS: Checker = {
  guarantee: 'liveness',
  informative: false,
  check: (input) => {
    const pending = LIVENESS.check(input);
    // A key is blocked for good (A6) only once faults have healed (PROTOCOL.md §3: "after faults
    // heal"). With a partition or a held link still in force at the end, the run is judged by its
    // operations alone, as §3 words liveness: every one completed, it holds.
    if ('notJudged' in pending || !input.quiescent || !input.networkHealed) return pending;
    return { violations: [...pending.violations, ...blockedKeys(input)] };
  },
};
