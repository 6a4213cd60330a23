// A schedule found by verify, told as an ordinary scenario that `npm run sim` replays to the ms:
// each operation and crash a timed step; a message that is not on time gets a step aimed at it,
// at the ms it is sent, that pins its fate (late by so much, lost, or delivered twice); the
// network's own delay is a constant 1 ms. Aimed steps at one ms are armed in send order.

import type { GuaranteeId } from '../check/index.ts';
import { CaseWriter, commentSafe, fieldLines, SCENARIO_IMPORT } from '../explore/case.ts';
import { formatMessage, formatTime, formatTimer } from '../render/format.ts';
import { guaranteeNames } from '../render/summary.ts';
import type { Scenario, ScenarioRun, Step } from '../scenario.ts';
import { type Setup, STORY_NETWORK } from './setup.ts';
import { AFTER_END_MS, type InFlight, initialWorld, type Move, play, type World } from './world.ts';

interface Sent {
  readonly m: InFlight;
  fate: { kind: 'delivered'; at: number } | { kind: 'dropped' } | { kind: 'in flight' };
  copy: { kind: 'delivered'; at: number } | { kind: 'in flight' } | null;
}

export function scheduleToScenario(
  setup: Setup,
  moves: readonly Move[],
  broken: readonly GuaranteeId[],
  completeSchedule: boolean,
  replayed: {
    /**
     * Guarantees the replay breaks besides: with the schedule's operations alone (the script's
     * later ones left out), its run can settle where verify's could not, and be judged there.
     */
    readonly atItsEnd?: readonly GuaranteeId[];
    /** The informative findings the replay shows, expected as findings (explore's cases do so). */
    readonly findings?: readonly GuaranteeId[];
  } = {},
): Scenario {
  const atItsEnd = replayed.atItsEnd ?? [];
  const { end, sent, script } = walk(setup, moves);
  const aimed: Step[] = [];
  const late = (m: InFlight, fate: Sent['fate'] | NonNullable<Sent['copy']>) =>
    (fate.kind === 'delivered' ? fate.at : end + AFTER_END_MS) - m.sentAt - 1;
  // A step aimed at a message is armed at the ms it is sent and takes the first message of its
  // type on its link from then on: a message on time needs one only if another of its kind
  // leaves the same link in the same ms.
  const group = (m: InFlight) => `${m.sentAt} ${m.from} ${m.to} ${m.message.type}`;
  const sharing = new Map<string, number>();
  for (const s of sent) sharing.set(group(s.m), (sharing.get(group(s.m)) ?? 0) + 1);
  for (const s of sent) {
    const { from, to, type } = names(setup, s.m);
    const onTime = s.fate.kind === 'delivered' && s.copy === null && late(s.m, s.fate) === 0;
    if (onTime && sharing.get(group(s.m)) === 1) continue;
    if (s.fate.kind === 'dropped') aimed.push({ at: s.m.sentAt, drop: type, from, to });
    else if (s.copy !== null)
      aimed.push({
        at: s.m.sentAt,
        duplicate: type,
        from,
        to,
        byMs: late(s.m, s.fate),
        copyByMs: late(s.m, s.copy),
      });
    else aimed.push({ at: s.m.sentAt, delay: type, from, to, byMs: late(s.m, s.fate) });
  }
  // Aimed steps go before the script's step at the same ms: they must be armed when it sends.
  const steps = [...aimed, ...script].sort((a, b) => a.at - b.at || rank(a) - rank(b));
  const s = setup.scenario;
  // An informative finding is expected as a finding: it never fails the replay by itself.
  const informative = informativeOf(setup);
  const expected = [...broken, ...atItsEnd];
  const violations = expected.filter((g) => !informative.has(g));
  const findings = [
    ...new Set([...expected.filter((g) => informative.has(g)), ...(replayed.findings ?? [])]),
  ];
  const besides =
    atItsEnd.length === 0
      ? ''
      : `; run to its end with only these operations, it breaks ${guaranteeNames(atItsEnd)} too`;
  return {
    goal: `The shortest schedule verify found that ${onlyFindings(setup, broken) ? 'shows' : 'breaks'} ${guaranteeNames(broken)} (${moves.length} moves)${besides}`,
    ...(s.store === undefined ? {} : { store: s.store }),
    servers: [...setup.topology.servers],
    leader: setup.topology.leader,
    clients: [...setup.topology.clients],
    preset: setup.preset as 'seed' | 'fixed',
    knobs: setup.overrides as NonNullable<Scenario['knobs']>,
    network: { ...STORY_NETWORK },
    ...(s.clockSkewMs === undefined ? {} : { clockSkewMs: s.clockSkewMs }),
    seed: 1,
    // Cut where verify judged a broken safety guarantee: later events are not part of the story.
    ...(completeSchedule ? {} : { runUntilMs: end }),
    steps,
    expect: { violations, ...(findings.length > 0 ? { findings } : {}) },
  };
}

function rank(step: Step): number {
  return 'drop' in step || 'duplicate' in step || 'delay' in step ? 0 : 1;
}

function names(setup: Setup, m: InFlight) {
  return {
    from: setup.nodes[m.from]!.id,
    to: setup.nodes[m.to]!.id,
    type: m.message.type,
  };
}

/** Plays the moves again from the first world, noting every send, what became of it, and the script. */
function walk(setup: Setup, moves: readonly Move[]) {
  let w: World = initialWorld(setup);
  const sent = new Map<number, Sent>();
  const script: Step[] = [];
  const told: string[] = [];
  for (const move of moves) {
    const before = w;
    told.push(tell(setup, before, move));
    w = play(setup, w, move);
    for (const m of w.inFlight)
      if (Number.isInteger(m.seq) && !sent.has(m.seq))
        sent.set(m.seq, { m, fate: { kind: 'in flight' }, copy: null });
    const whole = (seq: number) => sent.get(Math.floor(seq))!;
    switch (move.kind) {
      case 'deliver': {
        const s = whole(move.seq);
        if (Number.isInteger(move.seq)) s.fate = { kind: 'delivered', at: move.at };
        else s.copy = { kind: 'delivered', at: move.at };
        break;
      }
      case 'drop':
        whole(move.seq).fate = { kind: 'dropped' };
        break;
      case 'slow':
        break;
      case 'duplicate':
        whole(move.seq).copy = { kind: 'in flight' };
        break;
      case 'invoke': {
        const client = setup.clients[move.client]!;
        const op = client.ops[before.issued[move.client]!]!.op;
        const base = { at: move.at, client: client.id, via: move.via };
        script.push(
          op.kind === 'put'
            ? { ...base, put: [op.key, op.value] }
            : op.kind === 'get'
              ? { ...base, get: op.key }
              : { ...base, delete: op.key },
        );
        break;
      }
      case 'crash':
        script.push({ at: move.at, crash: setup.nodes[move.node]!.id });
        break;
      case 'restart':
        script.push({ at: move.at, restart: setup.nodes[move.node]!.id });
        break;
      case 'downForGood':
        script.push({ at: move.at, crash: setup.nodes[move.node]!.id, note: 'down for good' });
        break;
      case 'clockStep': {
        const step = setup.clockSteps[move.index]!;
        script.push({ at: move.at, clockStep: setup.nodes[step.node]!.id, byMs: step.byMs });
        break;
      }
      case 'timer':
        break;
    }
  }
  const ordered = [...sent.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  return { end: w.now, sent: ordered, script, told };
}

/** The schedule in words, one line a move: `3  2ms  s1 receives PUT x=1 from c1`. */
export function tellSchedule(setup: Setup, moves: readonly Move[]): string[] {
  const width = String(moves.length).length;
  const told = walk(setup, moves).told;
  const numbered = (i: number) => `${String(i + 1).padStart(width)}  ${told[i]}`;
  // A run of the same few moves again and again (a 1 ms timer re-armed while its message is lost)
  // is told by its first and last rounds: the time column alone differs between them.
  const what = (i: number) => told[i]!.slice(TIME_WIDTH);
  const out: string[] = [];
  let i = 0;
  while (i < told.length) {
    const round = repeatingRound(told.length, i, what);
    if (round === null) {
      out.push(numbered(i++));
      continue;
    }
    const { size, times } = round;
    const lastRound = i + (times - 1) * size;
    for (let j = i; j < i + size; j++) out.push(numbered(j));
    const skipped = times - 2;
    const until = told[lastRound - 1]!.slice(0, TIME_WIDTH).trim();
    out.push(
      `${' '.repeat(width)}  … the same ${size === 1 ? 'move' : `${size} moves`} ${skipped} more times (moves ${i + size + 1}-${lastRound}, to ${until}) …`,
    );
    for (let j = lastRound; j < lastRound + size; j++) out.push(numbered(j));
    i = lastRound + size;
  }
  return out;
}

/** Width of the time column of a told move. */
const TIME_WIDTH = 8;

/**
 * The shortest round of 1-4 moves that starts at `i` and comes again at least four times in a row
 * (told alike but for their times), with how many times; null if none.
 */
function repeatingRound(
  n: number,
  i: number,
  what: (i: number) => string,
): { size: number; times: number } | null {
  for (let size = 1; size <= 4; size++) {
    let times = 1;
    for (;;) {
      const at = i + times * size;
      if (at + size > n) break;
      let same = true;
      for (let j = 0; j < size && same; j++) same = what(i + j) === what(at + j);
      if (!same) break;
      times++;
    }
    if (times >= 4) return { size, times };
  }
  return null;
}

function tell(setup: Setup, w: World, move: Move): string {
  const id = (node: number) => setup.nodes[node]!.id;
  const message = (seq: number) => {
    const m = w.inFlight.find((x) => x.seq === seq)!;
    return { m, text: `${formatMessage(m.message)} ${id(m.from)} → ${id(m.to)}` };
  };
  const at = 'at' in move ? formatTime(move.at).padEnd(TIME_WIDTH) : ''.padEnd(TIME_WIDTH);
  switch (move.kind) {
    case 'deliver': {
      const { m, text } = message(move.seq);
      const copy = Number.isInteger(move.seq) ? '' : ' (the copy)';
      return `${at}${text}${copy} ${w.up[m.to] ? 'arrives' : `is lost: ${id(m.to)} is down`}`;
    }
    case 'timer': {
      const t = w.timers[0]!;
      return `${at}${id(t.node)}'s timer fires: ${formatTimer(t.timer)}`;
    }
    case 'invoke': {
      const client = setup.clients[move.client]!;
      const op = client.ops[w.issued[move.client]!]!.op;
      const value = op.kind === 'put' ? `=${op.value}` : '';
      return `${at}${client.id} issues ${op.kind} ${op.key}${value} via ${move.via}`;
    }
    case 'drop':
      return `${at}${message(move.seq).text} will be lost (drop)`;
    case 'duplicate':
      return `${at}${message(move.seq).text} will arrive twice (duplicate)`;
    case 'slow':
      return `${at}${message(move.seq).text} is slow: it may arrive after timers fire`;
    case 'crash':
      return `${at}${id(move.node)} crashes`;
    case 'restart':
      return `${at}${id(move.node)} restarts`;
    case 'downForGood':
      return `${at}${id(move.node)} crashes for good: it never restarts`;
    case 'clockStep': {
      const step = setup.clockSteps[move.index]!;
      return `${at}${id(step.node)}'s clock steps ${step.byMs >= 0 ? '+' : ''}${step.byMs} ms`;
    }
  }
}

/**
 * Writes the scenario as a new case file in `dir` (never over an existing one: a suffix is added),
 * with a header that tells how it was found; returns where it went, for the caller to show. If
 * `dir` cannot be written after all, the case goes to a temporary folder and `failure` says why.
 */
export function writeStory(
  dir: string,
  base: string,
  scenario: Scenario,
  header: readonly string[],
  /** The story's replay: each operation is written with the reply it got there. */
  replay?: ScenarioRun,
): { path: string; failure: string | null } {
  const lines = ['/*', ...header.map((l) => ` * ${commentSafe(l)}`.trimEnd()), ' */'];
  const body = `import type { Scenario } from '${SCENARIO_IMPORT}';\n\nexport default {\n${fieldLines(scenario, replay).join('\n')}\n} satisfies Scenario;\n`;
  const writer = new CaseWriter(dir, base);
  writer.write(`${lines.join('\n')}\n\n${body}`);
  return { path: writer.path!, failure: writer.failure };
}

/** The guarantees the store's checkers judge as findings (informative): they fail no run. */
function informativeOf(setup: Setup): ReadonlySet<GuaranteeId> {
  return new Set(setup.store.checkers.filter((c) => c.informative).map((c) => c.guarantee));
}

/** What the search stopped at is findings alone (--informative): told as sim tells a finding. */
export function onlyFindings(setup: Setup, broken: readonly GuaranteeId[]): boolean {
  const informative = informativeOf(setup);
  return broken.every((g) => informative.has(g));
}
