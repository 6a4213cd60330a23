// What liveness is judged by besides the history (PROTOCOL.md §3: "after faults heal"), read from
// a run's trace alone, apart from the kernel that records them: whether a partition, a one-way cut
// or a held link is still in force at the end, and when the faults had played out. A fault has
// played out at its own step, if it changed anything (a crash of a node already down, a restart
// of one up, a heal with nothing cut, a partition or cut of links cut already, a hold of a link
// held already, a release of one not held and a clock step of 0 do not); a drop planned at one
// step, when it takes its message; a message a
// planned delay or duplication sends late, when it leaves late (from its send, or from the
// release of the link that held it).

import type { MessageFault, TraceEvent } from '../../sim/kernel/trace.ts';

export interface FaultFacts {
  readonly networkHealed: boolean;
  readonly faultsEndAt: number;
}

/** How late a message that took this planned fault leaves (0: on time, or not at all). */
function lateBy(fault: MessageFault): number {
  if (fault.kind === 'delay') return fault.byMs;
  if (fault.kind === 'duplicate') return Math.max(fault.byMs ?? 0, fault.copyByMs ?? 0);
  return 0;
}

export function faultFacts(events: readonly TraceEvent[]): FaultFacts {
  const link = (from: string, to: string) => `${from} ${to}`;
  const blocked = new Set<string>();
  /** Links held now, each with how late the latest message kept on it leaves once released. */
  const held = new Map<string, number>();
  /** Planned message faults not yet taken, by link, in the order they were planned. */
  const planned = new Map<string, MessageFault[]>();
  const sent = new Set<number>();
  /** Nodes down now (every node starts up). */
  const down = new Set<string>();
  let end = 0;
  const lasts = (t: number) => {
    if (t > end) end = t;
  };
  for (const e of events) {
    if (e.kind === 'fault') {
      const f = e.fault;
      if (f.kind === 'crash' || f.kind === 'restart') {
        // A fault only when the node was up (a crash) or down (a restart).
        if (down.has(f.node) === (f.kind === 'restart')) lasts(e.t);
        if (f.kind === 'crash') down.add(f.node);
        else down.delete(f.node);
        continue;
      }
      // Cuts a link; a fault now if it was not cut.
      const block = (l: string) => {
        if (!blocked.has(l)) lasts(e.t);
        blocked.add(l);
      };
      // A fault aimed at a message plays out when it takes one (below).
      switch (f.kind) {
        case 'partition':
          for (const [i, group] of f.groups.entries())
            for (const [j, other] of f.groups.entries())
              if (i !== j) for (const a of group) for (const b of other) block(link(a, b));
          break;
        case 'cut':
          for (const a of f.from) for (const b of f.to) block(link(a, b));
          break;
        case 'heal':
          if (blocked.size > 0) lasts(e.t);
          blocked.clear();
          break;
        case 'hold':
          if (!held.has(link(f.from, f.to))) {
            lasts(e.t);
            held.set(link(f.from, f.to), 0);
          }
          break;
        case 'release': {
          const late = held.get(link(f.from, f.to));
          if (late !== undefined) lasts(e.t + late);
          held.delete(link(f.from, f.to));
          break;
        }
        case 'clockStep':
          if (f.byMs !== 0) lasts(e.t);
          break;
        case 'drop':
        case 'duplicate':
        case 'delay': {
          const l = link(f.from, f.to);
          planned.set(l, [...(planned.get(l) ?? []), f]);
          break;
        }
        default:
          break;
      }
      continue;
    }
    // A held message sent again on release is the same message: it took its fault before.
    if (e.kind !== 'send' || sent.has(e.id)) continue;
    sent.add(e.id);
    const l = link(e.from, e.to);
    if (blocked.has(l)) continue;
    const type = (e.message as { type: string }).type;
    const list = planned.get(l) ?? [];
    const i = list.findIndex((f) => f.message === '*' || f.message === type);
    if (i < 0) continue;
    const [fault] = list.splice(i, 1);
    if (fault!.kind === 'drop') {
      lasts(e.t);
      continue;
    }
    const late = held.get(l);
    if (late === undefined) lasts(e.t + lateBy(fault!));
    else held.set(l, Math.max(late, lateBy(fault!)));
  }
  return { networkHealed: blocked.size === 0 && held.size === 0, faultsEndAt: end };
}
