// The exhaustive search: breadth-first over worlds (so the first violation found is reached by as
// few moves as any), each distinct world explored once, judged by the store's own checkers. It
// stops at the first violation, when every schedule is done, or at a bound, and says which; the
// informative checkers' findings are kept beside, each by its shortest schedule.

import { getHeapStatistics } from 'node:v8';
import {
  brokenGuarantees,
  type CheckInput,
  type GuaranteeId,
  findings as informativeFindings,
  type LivenessBound,
  runCheckers,
  type Verdict,
} from '../check/index.ts';
import { History } from '../kernel/history.ts';
import { Forms } from './forms.ts';
import { Keyer } from './key.ts';
import { type Setup, symmetricClients } from './setup.ts';
import { AFTER_END_MS, initialWorld, isComplete, movesOf, play, type World } from './world.ts';

export interface SearchBounds {
  /** Distinct worlds at most. */
  readonly maxStates: number;
  /** Moves in a schedule at most. */
  readonly maxDepth: number;
  /** CPU time at most, in ms (process.cpuUsage: the machines are shared). */
  readonly maxCpuMs: number;
  /**
   * JavaScript heap in use at most, in bytes: the worlds kept grow it by about 2 KB each, and a
   * search that reached the heap's limit would end in V8's fatal out-of-memory abort instead.
   * (The forms of the worlds met are kept off the heap, about 100 bytes each.)
   */
  readonly maxHeapBytes: number;
}

export const DEFAULT_SEARCH_BOUNDS: SearchBounds = {
  maxStates: 2_000_000,
  maxDepth: 200,
  maxCpuMs: 600_000,
  // The old generation's share of the limit (the young one takes about 64 MB), less a margin.
  maxHeapBytes: Math.floor((getHeapStatistics().heap_size_limit - 64 * 2 ** 20) * 0.85),
};

export interface Progress {
  /** Worlds reached by a move, counting those reached before. */
  readonly states: number;
  /** Worlds reached for the first time. */
  readonly distinct: number;
  /** Complete schedules judged (their last worlds, distinct). */
  readonly complete: number;
  /** Moves in the longest schedule played so far. */
  readonly depth: number;
  readonly cpuMs: number;
  /** New worlds found at each depth so far, from 1 (the last still growing): how fast it widens. */
  readonly levels: readonly number[];
}

/** An informative checker's finding (A4, A12), by the shortest schedule that shows it. */
export interface Finding {
  readonly guarantee: GuaranteeId;
  readonly world: World;
  readonly verdicts: readonly Verdict[];
  readonly completeSchedule: boolean;
}

export interface Found {
  /** Informative findings met so far (all of them, when the search ran to its end). */
  readonly findings: readonly Finding[];
}

export type SearchResult =
  | (Progress & Found & { readonly kind: 'verified' })
  | (Progress &
      Found & {
        readonly kind: 'violation';
        readonly world: World;
        readonly verdicts: readonly Verdict[];
        /** The guarantees broken; informative ones too when the search was asked to stop at them. */
        readonly broken: readonly GuaranteeId[];
        /** Whether it was judged on a complete schedule (else: as soon as it broke). */
        readonly completeSchedule: boolean;
      })
  | (Progress &
      Found & {
        readonly kind: 'unfinished';
        readonly bound: 'states' | 'depth' | 'time' | 'memory';
      });

export interface SearchOptions {
  readonly bounds?: Partial<SearchBounds>;
  /** Called about every 4096 worlds with the figures so far. */
  readonly onProgress?: (p: Progress) => void;
  /** Mirror images of interchangeable clients count as one world (on by default). */
  readonly symmetry?: boolean;
  /**
   * Informative findings (linearizability, cross-key causality) stop the search as a violation
   * does. Off by default: they are kept beside the verdict, which they do not change.
   */
  readonly informative?: boolean;
}

export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Moves between two pauses of `searchSteps`, where a caller may stop the search. */
const PAUSE_EVERY = 1024;

/** How often (in moves) the figures are reported and the CPU time and memory bounds checked. */
const PROGRESS_EVERY = 4096;

export function search(setup: Setup, options: SearchOptions = {}): SearchResult {
  const steps = searchSteps(setup, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (step.value.states % PROGRESS_EVERY === 0) options.onProgress?.(step.value);
  }
}

/**
 * The search, pausing every PAUSE_EVERY moves with the figures so far, so that a caller may stop
 * it between two (Ctrl-C in `npm run verify`) or let other work in; it goes on exactly as
 * `search`, which runs it through. `onProgress` is the caller's to call.
 */
export function* searchSteps(
  setup: Setup,
  options: SearchOptions = {},
): Generator<Progress & Found, SearchResult> {
  const bounds = { ...DEFAULT_SEARCH_BOUNDS, ...options.bounds };
  const keyer = new Keyer(setup, options.symmetry === false ? [] : symmetricClients(setup));
  const started = cpuMs();
  const first = initialWorld(setup);
  // The worlds met, by their canonical forms.
  const seen = new Forms();
  seen.number(keyer.canonical(first));
  let frontier: World[] = [first];
  // Informative guarantees not found yet: each is judged until its shortest schedule is found.
  const looking = new Set(
    setup.store.checkers.filter((c) => c.informative).map((c) => c.guarantee),
  );
  const findings: Finding[] = [];
  let states = 0;
  let complete = 0;
  let depth = 0;
  // The deepest level a move was played at: the last level entered may have none (every world in
  // it complete), and no schedule is that long.
  let deepest = 0;
  // How many worlds had been met when each depth began: the new ones of a depth are the difference.
  const begun: number[] = [];
  const figures = (): Progress & Found => ({
    states,
    distinct: seen.size,
    complete,
    depth: deepest,
    cpuMs: cpuMs() - started,
    levels: begun.map((at, d) => (begun[d + 1] ?? seen.size) - at),
    findings,
  });
  while (frontier.length > 0) {
    if (depth >= bounds.maxDepth) return { kind: 'unfinished', bound: 'depth', ...figures() };
    depth++;
    begun.push(seen.size);
    const next: World[] = [];
    for (const w of frontier) {
      for (const move of movesOf(setup, w)) {
        const after = play(setup, w, move);
        states++;
        deepest = depth;
        if (states % PAUSE_EVERY === 0) {
          const p = figures();
          yield p;
          if (states % PROGRESS_EVERY === 0) {
            if (p.cpuMs > bounds.maxCpuMs) return { kind: 'unfinished', bound: 'time', ...p };
            if (getHeapStatistics().used_heap_size > bounds.maxHeapBytes || seen.full)
              return { kind: 'unfinished', bound: 'memory', ...p };
          }
        }
        const known = seen.size;
        if (seen.number(keyer.canonical(after)) < known) continue;
        if (seen.size > bounds.maxStates)
          return { kind: 'unfinished', bound: 'states', ...figures() };
        const done = isComplete(setup, after);
        if (done) complete++;
        // Safety is judged as soon as the history grows; liveness once an operation has been
        // pending longer than the bound (when a node may stay down); everything on a complete
        // schedule.
        if (done || after.records !== w.records || mayBeLate(setup, after)) {
          const verdicts = judge(setup, after, done, looking);
          const found = informativeFindings(verdicts);
          for (const guarantee of found) {
            looking.delete(guarantee);
            findings.push({ guarantee, world: after, verdicts, completeSchedule: done });
          }
          const broken = brokenGuarantees(verdicts);
          if (options.informative === true) broken.push(...found);
          if (broken.length > 0)
            return {
              kind: 'violation',
              world: after,
              verdicts,
              broken,
              completeSchedule: done,
              ...figures(),
            };
        }
        next.push(after);
      }
    }
    frontier = next;
  }
  return { kind: 'verified', ...figures() };
}

/**
 * Whether an operation may have been pending longer than the liveness bound: only judged when a
 * follower may stay down for good (then a schedule need never go quiet), from the last fault.
 */
function mayBeLate(setup: Setup, w: World): boolean {
  const bound = boundOf(setup, w);
  return bound !== null && bound.ms !== null && w.now - faultsEndAt(w) > bound.ms;
}

/** The liveness bound `sim` states for the story cut at this world: with its servers down. */
function boundOf(setup: Setup, w: World): LivenessBound | null {
  if (setup.livenessBound === null) return null;
  const down = setup.servers.filter((id) => !w.up[setup.index.get(id)!]);
  return setup.livenessBound(down);
}

/**
 * When the faults of the schedule so far end, as its story tells them: the last fault; or, with a
 * message still in flight, after the cut. The story sends each such message late, past its end (a
 * step aimed at it when sent), and a late message is a fault until it leaves (as `sim` counts it):
 * an operation it would answer is not dead, so none is judged against the bound until it arrives.
 */
function faultsEndAt(w: World): number {
  return w.inFlight.length > 0 ? w.now + AFTER_END_MS - 1 : w.faultAt;
}

/**
 * The store's checkers on the world's history; the informative ones only among `informative`
 * (default: all). Before the schedule is complete, liveness is left out (an operation still under
 * way may yet complete) unless one may be late past the bound; convergence says by itself that it
 * cannot judge an unsettled run.
 */
export function judge(
  setup: Setup,
  w: World,
  complete: boolean,
  informative?: ReadonlySet<GuaranteeId>,
): Verdict[] {
  const late = !complete && mayBeLate(setup, w);
  const checkers = setup.store.checkers.filter((c) =>
    c.informative
      ? informative === undefined || informative.has(c.guarantee)
      : c.guarantee !== 'liveness' || complete || late,
  );
  return runCheckers(checkers, checkInput(setup, w, complete));
}

export function checkInput(setup: Setup, w: World, complete: boolean): CheckInput {
  const history = new History();
  for (const r of w.records) {
    if ('abandon' in r) history.abandon(r.t, setup.nodes[r.node]!.id);
    else history.observe(r.t, r.observation);
  }
  const finalStates = new Map(
    setup.nodes.map((n, i) => [n.id, { state: w.states[i], up: w.up[i]! }] as const),
  );
  return {
    operations: history.operations,
    applies: history.applies,
    locks: history.locks,
    wipes: history.wipes,
    replicas: setup.store.replicas(finalStates, setup.topology),
    quiescent: complete,
    endedAt: w.now,
    faultsEndAt: faultsEndAt(w),
    networkHealed: true,
    ...(setup.livenessBound === null ? {} : { livenessBound: boundOf(setup, w)! }),
    explainPending: (op) =>
      setup.store.explainPending(finalStates, setup.topology, op, setup.knobs, history.applies),
  };
}
