// The stores on a real network: a three-server cluster on 127.0.0.1 (free ports, a relay before
// each server) serves PUT, GET and DELETE, and replays the write-up's stale read with a held link —
// a follower the new write has not reached answers TRY_OTHER_SERVER_OR_LATER. Every socket it
// opened is closed when it stops.

import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveKnobs } from '../protocol/knobs.ts';
import { brokenGuarantees, findings } from '../sim/check/index.ts';
import { DEFAULT_NETWORK } from '../sim/kernel/network.ts';
import { DEFAULT_BOUNDS } from '../sim/kernel/simulation.ts';
import type { WireMessage } from '../sim/kernel/trace.ts';
import type { Completion, LiveClient } from '../sim/live/client.ts';
import { Endpoint, LOOPBACK, MAX_CONNECTIONS, MAX_UNANSWERED } from '../sim/live/endpoint.ts';
import { type ClusterSpec, LiveNode, nodeSpecs, realClock } from '../sim/live/node.ts';
import { LiveCluster, linkFaults } from '../sim/live/runner.ts';
import type { Envelope } from '../sim/live/wire.ts';
import { checkRun } from '../sim/scenario.ts';
import { STORES } from '../sim/stores/index.ts';

function cluster(
  store: 'replicated' | 'lock',
  knobs: Record<string, string | number>,
): ClusterSpec {
  const adapter = STORES[store];
  const resolved = resolveKnobs(adapter.knobSpecs, adapter.presets, 'fixed', knobs);
  if (!resolved.ok) throw new Error(resolved.error);
  const servers = store === 'lock' ? ['s1'] : ['s1', 's2', 's3'];
  return {
    store: adapter,
    preset: 'fixed',
    knobs: resolved.value,
    servers,
    leader: 's1',
    clients: ['c1', 'c2'],
  };
}

/** TCP handles this process holds open (listeners and connections). */
function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

/** Waits until `done` holds, looking every 10 ms, `tries` times at most. */
async function until(done: () => boolean, tries = 1000): Promise<void> {
  for (let i = 0; i < tries && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** The count once closing handles have left the list (their close callbacks run a tick later). */
async function settledSockets(): Promise<number> {
  let last = openSockets();
  for (let calm = 0; calm < 3; ) {
    await new Promise((r) => setTimeout(r, 10));
    const now = openSockets();
    calm = now === last ? calm + 1 : 0;
    last = now;
  }
  return last;
}

let running: LiveCluster | null = null;

afterEach(async () => {
  await running?.stop();
  running = null;
});

async function start(spec: ClusterSpec): Promise<LiveCluster> {
  running = new LiveCluster(spec, linkFaults([]), 1);
  await running.start();
  return running;
}

function client(live: LiveCluster, id: string): LiveClient {
  return live.clients.find((c) => c.id === id)!;
}

/** A client's PUT of x, its `seq`-th operation, as a peer writes it. */
function putOf(client: string, seq: number, value: string) {
  const requestId = `${client}.${seq}`;
  return { type: 'PUT', requestId, attempt: 1, key: 'x', value, ackedBelow: seq };
}

function envelope(from: string, to: string, message: object) {
  return { from, to, message };
}

/** A raw connection to a port on loopback, once it is open. */
function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => resolve(socket));
  });
}

/** Issues an operation and waits for its reply. */
function ask(
  c: LiveClient,
  op: Parameters<LiveClient['invoke']>[0],
  via: string,
): Promise<Completion> {
  return c.invoke(op, via).done;
}

describe('a three-server cluster on loopback', () => {
  it('serves PUT, GET and DELETE through any server', async () => {
    const live = await start(cluster('replicated', {}));
    const c1 = client(live, 'c1');
    const put = await ask(c1, { kind: 'put', key: 'x', value: '1' }, 's2');
    expect(put.reply).toBe('PUT_OK');
    const got = await ask(c1, { kind: 'get', key: 'x' }, 's3');
    expect([got.reply, got.value, got.ts]).toEqual(['GET_OK', '1', put.ts]);
    const deleted = await ask(c1, { kind: 'delete', key: 'x' }, 's1');
    expect(deleted.reply).toBe('DELETE_OK');
    expect(deleted.ts!).toBeGreaterThan(put.ts!);
    const gone = await ask(c1, { kind: 'get', key: 'x' }, 's2');
    expect([gone.reply, gone.value]).toEqual(['NULL', null]);
    // The leader stamps with the real clock: a ts is a wall-clock reading in ms (hybrid: at least).
    expect(put.ts!).toBeGreaterThan(Date.UTC(2020, 0, 1));
  });

  it('replays the stale read: a follower behind a held link refuses c1 but serves c2 the old value', async () => {
    const live = await start(
      cluster('replicated', { clientSession: 'pipelined', retryOnTryOther: 'none' }),
    );
    const [c1, c2] = [client(live, 'c1'), client(live, 'c2')];
    const first = await ask(c1, { kind: 'put', key: 'x', value: '1' }, 's1');
    expect(first.reply).toBe('PUT_OK');
    await live.inject({ kind: 'hold', from: 's1', to: 's3' });
    // The leader stores x=2 at once but cannot finish: s3's REPLICATION is held.
    const second = c1.invoke({ kind: 'put', key: 'x', value: '2' }, 's1').done;
    const fromLeader = await ask(c1, { kind: 'get', key: 'x' }, 's1');
    expect([fromLeader.reply, fromLeader.value]).toEqual(['GET_OK', '2']);
    const refused = await ask(c1, { kind: 'get', key: 'x' }, 's3');
    expect([refused.reply, refused.server]).toEqual(['TRY_OTHER_SERVER_OR_LATER', 's3']);
    const old = await ask(c2, { kind: 'get', key: 'x' }, 's3');
    expect([old.reply, old.value]).toEqual(['GET_OK', '1']);
    await live.inject({ kind: 'release', from: 's1', to: 's3' });
    expect((await second).reply).toBe('PUT_OK');
    const caughtUp = await ask(c1, { kind: 'get', key: 'x' }, 's3');
    expect([caughtUp.reply, caughtUp.value]).toEqual(['GET_OK', '2']);

    // The same checkers as the simulator's: the session guarantees hold, and c2's old read after
    // c1's new one is the informative linearizability finding (anomaly A4), as in stale-read.ts.
    const states = live.finalStates();
    const history = live.recorder.history;
    const verdicts = checkRun(
      live.cluster.store,
      {
        seed: 1,
        ending: 'quiescent',
        endedAt: live.recorder.now(),
        events: live.recorder.events.length,
        trace: live.recorder.events,
        bounds: DEFAULT_BOUNDS,
        hash: '',
        history,
        networkHealed: true,
        faultsEndAt: live.recorder.now(),
        finalStates: states,
      },
      { ...live.cluster, clockSkewMs: {} },
      live.cluster.knobs,
      live.cluster.store.livenessBound(
        live.cluster.knobs,
        { ...live.cluster, clockSkewMs: {} },
        DEFAULT_NETWORK,
      ),
    );
    expect(brokenGuarantees(verdicts)).toEqual([]);
    expect(findings(verdicts)).toEqual(['linearizability']);
    // Real timestamps, in the order observed: invocations never go back in time.
    const invoked = history.operations.map((o) => o.invokedAt);
    expect(invoked).toEqual([...invoked].sort((a, b) => a - b));
  });

  it('serves the lock store the same way (one server, JSON lines)', async () => {
    const live = await start(cluster('lock', {}));
    const c1 = client(live, 'c1');
    expect((await ask(c1, { kind: 'put', key: 'k', value: 'v' }, 's1')).reply).toBe('PUT_OK');
    const got = await ask(c1, { kind: 'get', key: 'k' }, 's1');
    expect([got.reply, got.value]).toEqual(['GET_OK', 'v']);
    expect((await ask(c1, { kind: 'delete', key: 'k' }, 's1')).reply).toBe('DELETE_OK');
  });

  it('takes nothing from a peer outside the run, at a server or at a relay', async () => {
    const live = await start(cluster('replicated', {}));
    const c1 = client(live, 'c1');
    expect((await ask(c1, { kind: 'put', key: 'x', value: '1' }, 's1')).reply).toBe('PUT_OK');
    // Well-formed messages under the run's own names, and one under a name of the outsider's.
    const forged = [
      envelope('s1', 's2', {
        type: 'REPLICATION',
        requestId: 'w9',
        key: 'x',
        value: 'EVIL',
        ts: 9e15,
        origin: 'c1.1',
      }),
      envelope('c1', 's1', putOf('c1', 7, 'EVIL')),
      envelope('c9', 's1', putOf('c9', 1, 'EVIL')),
      {
        ...envelope('s1', 'c1', {
          type: 'GET_OK',
          requestId: 'c1.2',
          attempt: 1,
          key: 'x',
          value: 'EVIL',
          ts: 9e15,
        }),
        id: 3,
        sentAt: 1,
      },
    ];
    const ports = [...live.servers.map((s) => s.port), ...live.relays.map((r) => r.port)];
    for (const port of ports) {
      const socket = await connected(port);
      socket.write(forged.map((e) => `${JSON.stringify(e)}\n`).join(''));
      socket.end();
    }
    // The run goes on with its own messages only: reads see 1, the trace holds no EVIL.
    await new Promise((r) => setTimeout(r, 100));
    for (const via of ['s1', 's2', 's3'])
      expect((await ask(c1, { kind: 'get', key: 'x' }, via)).value).toBe('1');
    expect(JSON.stringify(live.recorder.events)).not.toContain('EVIL');
    expect(JSON.stringify([...live.finalStates().values()])).not.toContain('EVIL');
  });

  it('hears 10,000 client names at most, and says so for the next', async () => {
    // One server as serve runs it (no recorded run), watched for what it refuses.
    const spec = { ...cluster('replicated', {}), servers: ['s1'] };
    const refused: string[] = [];
    const s1 = new LiveNode(
      nodeSpecs(spec).find((n) => n.id === 's1')!,
      spec,
      (id) => (id === 's1' ? { host: LOOPBACK, port: s1.port } : undefined),
      realClock(),
      { refused: (_, why) => refused.push(why) },
    );
    await s1.listen(0);
    try {
      const names = await connected(s1.port);
      for (let n = 1; n <= 10_001; n++) {
        const message = { type: 'GET', requestId: `n${n}.1`, attempt: 1, key: 'x', tsClient: null };
        names.write(`${JSON.stringify(envelope(`n${n}`, 's1', message))}\n`);
      }
      await until(() => refused.length > 0, 500);
      names.destroy();
      expect(refused).toEqual(['s1 has heard from 10000 clients already, and takes no more']);
      expect(s1.endpoint.heard.size).toBe(10_000);
    } finally {
      await s1.stop();
    }
  });

  it('keeps at most MAX_CONNECTIONS connections open to a node, closing any more at once', async () => {
    const node = new Endpoint('s1', { addressOf: () => undefined, onEnvelope: () => {} });
    const port = await node.listen(0);
    const sockets: Socket[] = [];
    try {
      const closed = new Set<Socket>();
      for (let i = 0; i < MAX_CONNECTIONS + 3; i++) {
        const socket = new Socket();
        socket.on('error', () => socket.destroy());
        socket.on('end', () => {
          closed.add(socket);
          socket.destroy();
        });
        sockets.push(socket);
        await new Promise<void>((r) => socket.connect(port, '127.0.0.1', () => r()));
      }
      await until(() => closed.size >= 3, 300);
      // The three past the limit, and no other.
      expect([...closed].map((s) => sockets.indexOf(s)).sort((a, b) => a - b)).toEqual([
        MAX_CONNECTIONS,
        MAX_CONNECTIONS + 1,
        MAX_CONNECTIONS + 2,
      ]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await node.close();
    }
  });

  /** A node that takes in every envelope (and what it took), and a raw client flooding it. */
  async function flooded(pauseMs: number) {
    const taken: Envelope[] = [];
    const node = new Endpoint('s1', {
      addressOf: () => undefined,
      onEnvelope: (e) => taken.push(e),
      pauseMs,
    });
    const port = await node.listen(0);
    const flood = await connected(port);
    let replies = 0;
    flood.setEncoding('utf8');
    flood.on('data', (text: string) => {
      replies += text.split('\n').length - 1;
    });
    const total = 3 * MAX_UNANSWERED;
    let lines = '';
    for (let n = 1; n <= total; n++) {
      const message = { type: 'GET', requestId: `c1.${n}`, attempt: 1, key: 'x', tsClient: null };
      lines += `${JSON.stringify(envelope('c1', 's1', message))}\n`;
    }
    flood.write(lines);
    await until(() => taken.length >= MAX_UNANSWERED);
    await new Promise((r) => setTimeout(r, 100));
    const sent = lines.split('\n', total).map((line) => JSON.stringify(JSON.parse(line).message));
    return { node, port, flood, taken, total, sent, replies: () => replies };
  }

  it('stops reading a client with MAX_UNANSWERED messages unanswered, and reads on as it answers', async () => {
    const { node, port, flood, taken, total, replies } = await flooded(60_000);
    try {
      // Stopped: the rest waits in TCP (what came in the same chunk as the last one is taken too).
      const first = taken.length;
      expect(first).toBeGreaterThanOrEqual(MAX_UNANSWERED);
      expect(first).toBeLessThan(total);
      // A client asking one thing at a time, once answered, is still heard meanwhile.
      const polite = await connected(port);
      const heard = () => taken.filter((e) => e.from === 'c2').length;
      for (const n of [1, 2]) {
        const ask = { type: 'GET', requestId: `c2.${n}`, attempt: 1, key: 'x', tsClient: null };
        polite.write(`${JSON.stringify(envelope('c2', 's1', ask))}\n`);
        await until(() => heard() === n);
        const answer: WireMessage = { ...ask, type: 'NULL' };
        node.send('c2', answer);
      }
      polite.destroy();
      expect(heard()).toBe(2);
      const flooding = () => taken.filter((e) => e.from === 'c1');
      expect(flooding()).toHaveLength(first);
      // Answered, the node reads on.
      for (const e of flooding()) {
        const answer: WireMessage = { ...e.message, type: 'NULL' };
        node.send(e.from, answer);
      }
      await until(() => flooding().length > first);
      expect(flooding().length).toBeGreaterThan(first);
      await until(() => replies() === first);
      expect(replies()).toBe(first);
    } finally {
      flood.destroy();
      await node.close();
    }
  });

  it('holds a client back PAUSE_MS at most for what it never answers, then takes the rest in order', async () => {
    const { node, flood, taken, total, sent } = await flooded(300);
    try {
      expect(taken.length).toBeLessThan(total);
      await until(() => taken.length === total);
      expect(taken.map((e) => JSON.stringify(e.message))).toEqual(sent);
    } finally {
      flood.destroy();
      await node.close();
    }
  });

  it('closes every socket it opened when it stops', async () => {
    const before = await settledSockets();
    const live = await start(cluster('replicated', {}));
    await ask(client(live, 'c1'), { kind: 'put', key: 'x', value: '1' }, 's2');
    expect(openSockets()).toBeGreaterThan(before);
    await live.stop();
    running = null;
    // Closed handles leave the list once the event loop has run their close callbacks.
    await until(() => openSockets() <= before, 50);
    expect(openSockets()).toBe(before);
  });
});
