// Which nodes are down (crashed and not yet restarted) as a run's trace is read in order: the one
// reading of crashes and restarts that the log, the diagram and the lab's node menu share.

import type { TraceEvent } from '../kernel/trace.ts';

/** How an event changes whether a node is down: a crash takes it down, a restart brings it up. */
export function downChange(
  e: TraceEvent,
): { readonly node: string; readonly down: boolean } | null {
  if (e.kind !== 'fault') return null;
  if (e.fault.kind === 'crash') return { node: e.fault.node, down: true };
  if (e.fault.kind === 'restart') return { node: e.fault.node, down: false };
  return null;
}

/** Whether `node` is down at time `at` ms: once every event at or before `at` has happened. */
export function downAt(trace: readonly TraceEvent[], node: string, at: number): boolean {
  let down = false;
  for (const e of trace) {
    if (e.t > at) break;
    const change = downChange(e);
    if (change?.node === node) down = change.down;
  }
  return down;
}

/**
 * What a crash or restart that changes nothing says beside its row, given which nodes are down
 * just before it: the node was down, or up, already (the kernel counts no fault for it).
 */
export function unchangedNote(e: TraceEvent, isDown: (node: string) => boolean): string {
  const change = downChange(e);
  if (change === null || isDown(change.node) !== change.down) return '';
  return ` (${change.node} is ${change.down ? 'down' : 'up'} already: nothing changes)`;
}
