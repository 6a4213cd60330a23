// The kernel's own floor for the bench: machines that do nothing but exchange a request and its
// reply under a timeout, on the bench's network (loss and duplication on), with the history
// recording each operation. What the simulator costs beyond this row is protocol logic.

import {
  invocation,
  type Machine,
  machineOf,
  type NodeId,
  type StepInto,
} from '../../protocol/core.ts';
import { Simulation } from '../kernel/simulation.ts';

interface Ask {
  readonly type: 'ASK' | 'ANSWER';
  readonly requestId: string;
  readonly opId: number;
}

/** A machine that never changes what survives a crash. */
function machine<S>(init: S, stepInto: StepInto<S, Ask, null, null>): Machine<S, Ask, null, null> {
  return machineOf({ init: () => init, stepInto, recover: (state) => state });
}

/** A client: each operation is one ASK to the server it is given, answered or timed out. */
function asker(id: NodeId): Machine<number, Ask, null, null> {
  return machine(0, (seq, input, _ctx, out) => {
    if (input.type === 'invoke') {
      const requestId = `${id}.${seq + 1}`;
      const { opId } = input;
      out.record(invocation(id, opId, { kind: 'get', key: 'x' }, requestId));
      out.send(input.via, { type: 'ASK', requestId, opId });
      out.setTimer(requestId, 1000, null);
      return seq + 1;
    }
    if (input.type === 'receive') {
      const { requestId, opId } = input.message;
      out.cancelTimer(requestId);
      const server = input.from;
      out.record({
        kind: 'complete',
        opId,
        client: id,
        reply: 'NULL',
        server,
        value: null,
        ts: null,
      });
    }
    return seq;
  });
}

const answerer = machine(0, (state, input, _ctx, out) => {
  if (input.type === 'receive') out.send(input.from, { ...input.message, type: 'ANSWER' });
  return state;
});

/** A run of `operations` requests from 5 clients to 3 servers, one every 6 ms; CPU-timed by the caller. */
export function floorRun(operations: number): Simulation<Ask> {
  const servers = ['s1', 's2', 's3'];
  const clients = ['c1', 'c2', 'c3', 'c4', 'c5'];
  const sim = new Simulation<Ask>({
    seed: 1,
    nodes: [
      ...servers.map((id) => ({ id, role: 'server' as const, machine: answerer })),
      ...clients.map((id) => ({ id, role: 'client' as const, machine: asker(id) })),
    ],
    network: {
      delayMinMs: 1,
      delayMaxMs: 20,
      spikePermille: 0,
      spikeMs: 0,
      dropPermille: 10,
      duplicatePermille: 10,
      fifo: false,
    },
    trace: false,
    bounds: { maxEvents: 20_000_000, maxHistory: 40_000_000 },
  });
  for (let i = 0; i < operations; i++)
    sim.schedule(6 * (i + 1), {
      kind: 'invoke',
      opId: i,
      client: clients[i % 5]!,
      op: null,
      via: null,
    });
  return sim;
}
