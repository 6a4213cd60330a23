// The live commands as a user runs them: `npm run serve` and `npm run client` replay the write-up's
// demonstration on loopback (a follower answers TRY_OTHER_SERVER_OR_LATER while replication lags),
// `npm run live` judges a real cluster and writes its trace and page, every mistake is one line and
// exit 2, and no process is left behind (serve --processes included).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLIENT_KNOBS } from '../sim/live/client.ts';
import { parseTraceDocument } from '../sim/render/json.ts';
import { HAS_SCRIPT, nodeCommand, plainEnv, ROOT } from './run-cli.ts';

const started: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'kvsim-live-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * One command, run as `npm run` runs it (node with tsx's loader): its pid is the process itself.
 * `group`: in a process group of its own, as a terminal's foreground job, so that Ctrl-C can be
 * sent to the whole of it.
 */
function launch(cli: string, args: readonly string[], stdin?: string, group = false): ChildProcess {
  const child = spawn(...nodeCommand(`sim/cli/${cli}.ts`, args), {
    cwd: ROOT,
    env: plainEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: group,
  });
  child.stdin!.end(stdin ?? '');
  started.push(child);
  return child;
}

interface Finished {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function finish(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on('close', (status) => resolve({ status, stdout, stderr })),
  );
}

function run(cli: string, args: readonly string[], stdin?: string): Promise<Finished> {
  return finish(launch(cli, args, stdin));
}

/** Resolves with everything printed once it passes `test` (null: the process ended first). */
function waitFor(
  child: ChildProcess,
  test: RegExp | ((out: string) => boolean),
): Promise<string | null> {
  let out = '';
  const done = typeof test === 'function' ? test : (text: string) => test.test(text);
  return new Promise((resolve) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (done(out)) resolve(out);
    });
    child.on('close', () => resolve(null));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until none of `pids` is running: a wait for the condition, not for a time, as a loaded
 * machine may take seconds to end a process; one that never ends holds the test to its timeout.
 */
async function gone(pids: readonly number[]): Promise<void> {
  while (pids.some(alive)) await sleep(50);
}

const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

/** A raw connection to a port on loopback, once it is open. */
function connectedTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => resolve(socket));
  });
}

/** A port nothing listens on (the kernel's free port, released again). */
async function freePort(): Promise<number> {
  const server = await listenOn(0);
  const port = portOf(server);
  await close(server);
  return port;
}

/** The first port of the range the kernel hands out itself (to port 0, to a connection's end). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    if (Number.isInteger(low) && low > 20_000) return low;
  } catch {
    // Not Linux: its usual range.
  }
  return 32_768;
}

/**
 * `count` consecutive free ports, found by binding them, below the kernel's own range: the
 * command binds them a second later, and a connection opened in between (live-run's, in another
 * worker, open some five a second) may take one of that range for its own end, which no server
 * can then listen on.
 */
async function freePorts(count: number): Promise<number> {
  const below = ephemeralLow() - count;
  for (;;) {
    const base = 10_000 + Math.floor(Math.random() * (below - 10_000));
    const held: Server[] = [];
    try {
      for (let i = 0; i < count; i++) held.push(await listenOn(base + i));
      return base;
    } catch {
      // Taken: try another base.
    } finally {
      await Promise.all(held.map(close));
    }
  }
}

/**
 * `npm run serve` on free ports, with `args`, once it says it is ready: the process, its
 * `--servers` list for the client, and what it printed.
 */
async function serveCluster(
  args: readonly string[],
): Promise<{ serve: ChildProcess; servers: string; out: string }> {
  const serve = launch('serve', ['--port-base', '0', ...args]);
  const out = await waitFor(serve, /ready: npm run client -- --servers (\S+)\n/);
  expect(out).not.toBeNull();
  return { serve, servers: out!.match(/--servers (\S+)\n/)![1]!, out: out! };
}

/**
 * The client's menu on a terminal of its own (`script` gives it one; what is written to its stdin
 * is typed there), once the menu prompts.
 */
async function menuOnTerminal(
  args: readonly string[],
): Promise<{ typed: ChildProcess; finished: Promise<Finished> }> {
  const [program, argv] = nodeCommand('sim/cli/client.ts', args);
  const command = [program, ...argv].map((w) => `'${w}'`).join(' ');
  const typed = spawn('script', ['-qec', command, '/dev/null'], {
    env: plainEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(typed);
  const finished = finish(typed);
  expect(await waitFor(typed, /> $/)).not.toBeNull();
  return { typed, finished };
}

// The write-up's demonstration, with the seed preset's replication delay cut to 1 s. Real time:
// op 3's reply must be in before op 4 leaves (200 ms for it), and op 4 reach s3 before x=2 does
// (2 s after the PUT, s2's turn first: 1.6 s to spare). With 300 ms and sleeps of 50 a client the
// machine left waiting half a second saw x=2 at s3 instead (forced by making each sleep 400 ms).
const DEMO = `
put x 1 via s1
wait              # PUT_OK once both followers have x=1
put x 2 via s1    # the leader stores x=2 now and replicates it 1 s later, to s2 then s3
sleep 200
get x via s1      # c1 learns x=2's timestamp
sleep 200
get x via s3      # s3 still holds x=1: TRY_OTHER_SERVER_OR_LATER
wait
get x via s3      # replication is over
delete x via s2
wait
get x via s2
`;

describe('npm run serve + npm run client', () => {
  it('replays the stale read by hand: a lagging follower answers TRY_OTHER_SERVER_OR_LATER', async () => {
    const { serve, servers, out } = await serveCluster(['--knob', 'replicationDelay=1000']);
    expect(out).toMatch(/s1 \(leader\) listening on 127\.0\.0\.1:\d+/);
    const client = await run('client', ['--servers', servers, '--id', 'c1', '--script', '-'], DEMO);
    expect(client.stderr).toBe('');
    expect(client.status).toBe(0);
    expect(client.stdout).toMatch(/op 3 GET x via s1 → GET_OK 2 \(ts \d+\) from s1/);
    expect(client.stdout).toMatch(/op 4 GET x via s3 → TRY_OTHER_SERVER_OR_LATER from s3/);
    expect(client.stdout).toMatch(/op 5 GET x via s3 → GET_OK 2 \(ts \d+\) from s3/);
    expect(client.stdout).toMatch(/op 6 DELETE x via s2 → DELETE_OK \(ts \d+\) from s2/);
    expect(client.stdout).toMatch(/op 7 GET x via s2 → NULL \(ts \d+\) from s2/);
    // The menu, answered on stdin: GET x via s3 after the delete.
    const menu = await run('client', ['--servers', servers, '--id', 'c2'], '2\nx\ns3\n4\n5\n');
    expect(menu.status).toBe(0);
    expect(menu.stdout).toContain('1) PUT  2) GET  3) DELETE');
    expect(menu.stdout).toMatch(/op 1 GET x via s3 → NULL \(ts \d+\) from s3/);
    // A script's command typed at the menu: one line saying what the menu takes, and nothing sent.
    const typed = await run('client', ['--servers', servers, '--id', 'c3'], 'put x 1\n5\n');
    expect(typed.status).toBe(0);
    expect(typed.stdout).toContain(
      "'put x 1' is not a choice: type 1 (PUT), 2 (GET), 3 (DELETE), 4 (wait for replies) or 5 (quit), then answer what it asks; a command such as 'put x 1' runs from a file with --script\n",
    );
    expect(typed.stdout).not.toMatch(/op 1 /);
    const ended = finish(serve);
    serve.kill('SIGTERM');
    const result = await ended;
    expect(result.status).toBe(0);
    expect(alive(serve.pid!)).toBe(false);
  });

  it('says an operation a sequential session holds back is queued, and sent once the one before is answered', async () => {
    const { serve, servers } = await serveCluster([
      '--quiet',
      '--preset',
      'fixed',
      '--knob',
      'replicationDelay=500',
    ]);
    const script = 'put a 1 via s1\nget a via s1\nwait\n';
    const r = await run('client', ['--servers', servers, '--script', '-'], script);
    serve.kill('SIGTERM');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const queued = at(/op 2 GET a via s1 queued behind the operation still pending$/);
    const answered = at(/op 1 PUT a=1 via s1 → PUT_OK/);
    const sent = at(/op 2 GET a via s1 sent$/);
    expect(queued).toBeGreaterThanOrEqual(0);
    expect(answered).toBeGreaterThan(queued);
    expect(sent).toBeGreaterThan(answered);
  });

  it('Ctrl-C while a reply is due says how many, and ends the client (exit 130)', async () => {
    // The seed preset's 10 s replication delay holds the PUT's answer while Ctrl-C comes.
    const { serve, servers } = await serveCluster(['--quiet']);
    const client = launch('client', ['--servers', servers, '--script', '-'], 'put x 1 via s1\n');
    const finished = finish(client);
    expect(await waitFor(client, /PUT x=1 via s1 sent\n/)).not.toBeNull();
    client.kill('SIGINT');
    const r = await finished;
    serve.kill('SIGTERM');
    expect(r.status).toBe(130);
    expect(r.stdout).toMatch(/ interrupted: 1 operation still without a reply\n$/);
  });

  it.skipIf(!HAS_SCRIPT)('Ctrl-C typed at the menu, on a terminal, ends the client', async () => {
    const { serve, servers } = await serveCluster(['--quiet']);
    const { typed, finished } = await menuOnTerminal(['--servers', servers]);
    // PUT x=1 via s1 (its answer held back by the replication delay), then Ctrl-C.
    typed.stdin!.write('1\rx\r1\r\r');
    expect(await waitFor(typed, /PUT x=1 via s1 sent/)).not.toBeNull();
    typed.stdin!.write('\x03');
    // A client Ctrl-C did not end would hold the test to its timeout.
    const r = await finished;
    serve.kill('SIGTERM');
    expect(r.status).toBe(130);
    expect(r.stdout).toMatch(/interrupted: 1 operation still without a reply/);
  });

  it.skipIf(!HAS_SCRIPT)(
    'a reply that comes while the menu waits goes above its prompt, kept with what was typed',
    async () => {
      const { serve, servers } = await serveCluster(['--quiet', '--knob', 'replicationDelay=1500']);
      const { typed, finished } = await menuOnTerminal(['--servers', servers, '--id', 'c1']);
      // PUT x=1 via s1, whose answer waits for both followers (1.5 s each); then '2' is typed
      // at the next prompt, and the answer comes while it waits for the rest of the line. With
      // 300 ms each, a test 1.5 s late to type '2' saw the answer first, and waited to its timeout.
      typed.stdin!.write('1\rx\r1\r\r');
      expect(await waitFor(typed, /PUT x=1 via s1 sent[\s\S]*> $/)).not.toBeNull();
      typed.stdin!.write('2');
      const out = await waitFor(typed, /PUT_OK[^\n]*\n[\s\S]*> 2$/);
      typed.stdin!.write('\x03');
      await finished;
      serve.kill('SIGTERM');
      // The prompt's line is cleared for the answer (erase the line, back to its start), and
      // the prompt follows it with the '2' typed.
      const cleared = out!.split('\x1b[2K\x1b[1G');
      expect(cleared).toHaveLength(2);
      expect(cleared[1]).toMatch(
        /^ {4,}\d+\.\d{3}s {2}op 1 PUT x=1 via s1 → PUT_OK 1 \(ts \d+\) from s1\r\n> 2$/,
      );
    },
  );

  it('a reply not in within --wait-ms is counted in words, and the client exits 1', async () => {
    // The seed preset's 10 s replication delay holds the PUT's answer far past the wait.
    const { serve, servers } = await serveCluster(['--quiet']);
    const args = ['--servers', servers, '--script', '-', '--wait-ms', '300'];
    const client = await run('client', args, 'put x 1 via s1\n');
    serve.kill('SIGTERM');
    expect(client.status).toBe(1);
    expect(client.stdout).toMatch(/ 1 operation still without a reply after 300 ms\n$/);
  });

  it('a key or value with escape sequences reaches neither terminal raw', async () => {
    const { serve, servers, out } = await serveCluster(['--preset', 'fixed']);
    let served = out;
    serve.stdout!.on('data', (d) => {
      served += d;
    });
    // A screen clear in the key, a clipboard write (OSC 52) in the value, and a 5,000-character value.
    const script = `put k\x1b[2J \x1b]52;c;aGk=\x07\nput y ${'v'.repeat(5000)}\nwait\nget k\x1b[2J via s3\n`;
    const client = await run(
      'client',
      ['--servers', servers, '--id', 'c1', '--script', '-'],
      script,
    );
    const ended = finish(serve);
    serve.kill('SIGTERM');
    await ended;
    expect(client.status).toBe(0);
    expect(client.stdout).toMatch(/GET k\\x1b\[2J via s3 → GET_OK \\x1b\]52;c;aGk=\\x07/);
    expect(served).toMatch(/stores k\\x1b\[2J=/);
    for (const out of [client.stdout, served]) {
      expect(out.includes('\x1b') || out.includes('\x07')).toBe(false);
      expect(Math.max(...out.split('\n').map((l) => l.length))).toBeLessThan(500);
    }
  });

  /** serve --processes --preset fixed on three free ports, and the client's --servers list. */
  async function fixedProcesses(...more: string[]) {
    const base = await freePorts(3);
    const args = ['--processes', '--port-base', String(base), '--preset', 'fixed', ...more];
    const servers = [0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(',');
    return { serve: launch('serve', args), servers };
  }

  it('with --processes runs one OS process per server, and none outlives the supervisor', async () => {
    const { serve, servers } = await fixedProcesses('--quiet');
    // Once every server listens, the supervisor says so as serve alone does: the client's list.
    const out = await waitFor(serve, /ready: npm run client -- --servers \S+\n/);
    expect(out).not.toBeNull();
    const [before, after] = out!.split('ready: ');
    expect(after).toBe(`npm run client -- --servers ${servers}\n`);
    const pids = [...before!.matchAll(/listening on 127\.0\.0\.1:\d+ \(pid (\d+)\)/g)].map((m) =>
      Number(m[1]),
    );
    expect(new Set(pids).size).toBe(3);
    expect(pids).not.toContain(serve.pid);
    expect(pids.every(alive)).toBe(true);
    const client = await run(
      'client',
      ['--servers', servers, '--script', '-'],
      'put k v via s2\nwait\nget k via s3\n',
    );
    expect(client.stdout).toMatch(/GET k via s3 → GET_OK v/);
    // Even a supervisor killed outright leaves nothing behind: each server notices its parent's end
    // of its stdin close, and stops.
    const ended = finish(serve);
    serve.kill('SIGKILL');
    await ended;
    await gone(pids);
  });

  it('with --processes, the servers log one time line: an answer is never logged before its cause', async () => {
    const { serve, servers } = await fixedProcesses();
    // The PUT's path: c1 → s2 → s1, REPLICATION s1 → s2, its OK back, PUT_OK s1 → s2. Each step is
    // logged by the process that received it, s1's and s2's in turn.
    const chain = [
      /s2 +← c\S+ +PUT /,
      /s1 +← s2 +PUT /,
      /s2 +← s1 +REPLICATION /,
      /s1 +← s2 +REPLICATION_OK /,
      /s2 +← s1 +PUT_OK /,
    ];
    expect(await waitFor(serve, /ready: npm run client/)).not.toBeNull();
    const logged = waitFor(serve, (text) => chain.every((step) => step.test(text)));
    const client = await run('client', ['--servers', servers, '--script', '-'], 'put k v via s2\n');
    expect(client.status).toBe(0);
    const log = await logged;
    const ended = finish(serve);
    serve.kill('SIGTERM');
    await ended;
    const times = chain.map((step) => {
      const line = log!.split('\n').find((l) => step.test(l))!;
      return Number(line.trim().split('s ')[0]);
    });
    expect(times.every((t) => Number.isFinite(t))).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('a server started alone (--only) says what it runs, as the whole cluster does', async () => {
    const base = await freePorts(3);
    const args = ['--only', 's2', '--port-base', String(base), '--knob', 'replicationDelay=300'];
    const serve = launch('serve', args);
    const out = await waitFor(serve, /s2 listening on .*\n/);
    serve.kill('SIGTERM');
    expect(out!.split('\n')[0]).toMatch(
      /^replicated store, preset seed: replicationDelay=300 replicationFanout=sequential /,
    );
  });

  /** serve --processes on free ports, and the pids of its three servers once all listen. */
  async function supervised(): Promise<{ serve: ChildProcess; pids: number[] }> {
    const base = await freePorts(3);
    const args = ['--processes', '--port-base', String(base), '--quiet'];
    const serve = launch('serve', args, undefined, true);
    const out = await waitFor(
      serve,
      (text) => (text.match(/listening on .*\n/g) ?? []).length === 3,
    );
    const pids = [...out!.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids.every(alive)).toBe(true);
    return { serve, pids };
  }

  /** Waits for the command, then its servers, to end: one that never does holds the test to its timeout. */
  async function ended(child: ChildProcess, pids: number[]): Promise<number | null> {
    const status = await new Promise<number | null>((r) =>
      child.exitCode !== null ? r(child.exitCode) : child.on('close', (code) => r(code)),
    );
    await gone(pids);
    return status;
  }

  it('with --processes, Ctrl-C stops the supervisor and every server', async () => {
    const { serve, pids } = await supervised();
    // Ctrl-C in a terminal reaches the whole foreground job: the supervisor and its servers.
    process.kill(-serve.pid!, 'SIGINT');
    expect(await ended(serve, pids)).toBe(0);
  });

  it('with --processes, a kill of the supervisor alone stops every server too', async () => {
    const { serve, pids } = await supervised();
    serve.kill('SIGTERM');
    expect(await ended(serve, pids)).toBe(0);
  });
});

describe('mistakes get one line and exit 2', () => {
  async function oneLine(cli: string, args: string[], pattern: RegExp, stdin?: string) {
    const r = await run(cli, args, stdin);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  it('a port in use', async () => {
    const taken = await listenOn(0);
    try {
      await oneLine(
        'serve',
        ['--port-base', String(portOf(taken))],
        /^error: port \d+ on 127\.0\.0\.1 is in use; .*--port-base/,
      );
    } finally {
      await close(taken);
    }
  });

  it('a server whose greeting no kvsim server would send', async () => {
    const hello = {
      node: 's1',
      store: 'replicated',
      preset: 'fixed',
      knobs: { replicationDelay: 'soon' },
      servers: ['s1'],
      leader: 's1',
    };
    const fake = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.once('data', () => socket.write(`${JSON.stringify({ welcome: hello })}\n`));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    try {
      await oneLine(
        'client',
        ['--servers', `127.0.0.1:${portOf(fake)}`, '--script', '-'],
        /^error: the servers run settings this client cannot take: .*replicationDelay.*\n$/,
        'get x\n',
      );
    } finally {
      await close(fake);
    }
  });

  it('a server nobody runs', async () => {
    const port = await freePort();
    await oneLine(
      'client',
      ['--servers', `127.0.0.1:${port}`, '--script', '-'],
      /nothing answers at 127\.0\.0\.1:\d+ \(ECONNREFUSED\); start the servers/,
      'get x\n',
    );
  });

  it('a script on a named pipe is waited on, saying so, then read', async () => {
    const fifo = join(dir, 'script-pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = launch('client', ['--servers', '127.0.0.1:1,127.0.0.1:2', '--script', fifo]);
    const finished = finish(child);
    const said = new Promise<string>((resolve) => {
      let err = '';
      child.stderr!.on('data', (d) => {
        err += d;
        if (err.includes('\n')) resolve(err);
      });
    });
    expect(await said).toMatch(/^waiting for a script to be written into '.*script-pipe', a pipe/);
    // Read whole before anything is sent: its mistake is found, as in a file's.
    writeFileSync(fifo, 'get x\nget x via s9\n');
    const r = await finished;
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\nerror: script line 2: 's9' is not a server of this cluster/);
  });

  it('a hostile peer: serve drops what no client may send, one line each, and serves on', async () => {
    const { serve, servers, out } = await serveCluster(['--preset', 'fixed']);
    let served = out;
    serve.stdout!.on('data', (d) => {
      served += d;
    });
    try {
      const s1 = Number(servers.split(',')[0]!.split(':')[1]);
      const line = (from: string, to: string, message: object) =>
        `${JSON.stringify({ from, to, message })}\n`;
      const put = (requestId: string, ackedBelow: number) => ({
        type: 'PUT',
        requestId,
        attempt: 1,
        key: 'x',
        value: 'EVIL',
        ackedBelow,
      });
      // A field nested 5,000 deep: saying what was wrong with it once took the stack, and the process.
      const deep = `{"from":"c9","to":"s1","message":{"type":"GET","requestId":${'['.repeat(5000)}${']'.repeat(5000)},"attempt":1,"key":"x","tsClient":null}}\n`;
      const hostile = [
        deep,
        line('c9', 's1', { type: 'PUT' }),
        line('c4', 's1', {
          type: 'REPLICATION',
          requestId: 'w9',
          key: 'x',
          value: 'EVIL',
          ts: 9e15,
          origin: 'c4.1',
        }),
        // Under another client's request id the leader's session for c1 would swallow c1's writes.
        line('c9', 's1', put('c1.0', 1e308)),
        `${JSON.stringify({ hello: 'c'.repeat(100_000) })}\n`,
      ];
      // Four refusals, each a line of its own; the greeting from a name no node has goes unanswered.
      const refused = waitFor(serve, (text) => text.split(' ignored a message').length > 4);
      (await connectedTo(s1)).end(hostile.join(''));
      expect(await refused).not.toBeNull();
      const client = await run(
        'client',
        ['--servers', servers, '--id', 'c1', '--script', '-'],
        'put x 1 via s1\nwait\nget x via s2\n',
      );
      expect(client.status).toBe(0);
      expect(client.stdout).toMatch(/GET x via s2 → GET_OK 1 /);
      expect(served).toMatch(
        /s1 +✗ ignored a message from c9: GET's requestId is an array, not a string\n/,
      );
      expect(served).toMatch(/s1 +✗ ignored a message from c9: PUT has no requestId\n/);
      expect(served).toMatch(
        /s1 +✗ ignored a message from c4: REPLICATION comes from servers only, and c4 is none of them\n/,
      );
      expect(served).toMatch(
        /s1 +✗ ignored a message from c9: c9's PUT names another client's request, "c1.0"\n/,
      );
      expect(served).not.toMatch(/EVIL|\n +at /);
      expect(alive(serve.pid!)).toBe(true);
    } finally {
      serve.kill('SIGTERM');
    }
  });

  it('a client name the servers have served before, when they dedupe requests by it', async () => {
    // Request ids are the name and a count from 1: the fixed preset's servers would answer the
    // second c1's PUT y=2 (c1.1) with the first c1's PUT_OK for x=1, and never write y.
    const { serve, servers } = await serveCluster(['--quiet', '--preset', 'fixed']);
    try {
      const args = ['--servers', servers, '--id', 'c1', '--script', '-'];
      const first = await run('client', args, 'put x 1 via s1\nwait\n');
      expect(first.status).toBe(0);
      await oneLine(
        'client',
        args,
        /^error: s1 has already served a client named c1; with requestIds=dedupe it would take this one's requests for that one's and answer them from memory: give another --id$/m,
        'put y 2 via s1\nwait\n',
      );
      // Another name is served as new.
      const other = await run(
        'client',
        [...args.slice(0, 2), '--id', 'c2', '--script', '-'],
        'put y 2 via s1\nwait\nget y via s2\n',
      );
      expect(other.stdout).toMatch(/GET y via s2 → GET_OK 2 /);
    } finally {
      serve.kill('SIGTERM');
    }
  });

  it('servers of two clusters, or started apart with other settings', async () => {
    // s1 of a seed cluster, s2 and s3 of a fixed one: the client would mix two clusters' rules.
    const seed = await serveCluster(['--quiet']);
    const fixed = await serveCluster(['--quiet', '--preset', 'fixed']);
    const [a, b] = [seed.servers.split(','), fixed.servers.split(',')];
    try {
      await oneLine(
        'client',
        ['--servers', [a[0], b[1], b[2]].join(','), '--script', '-'],
        /^error: 127\.0\.0\.1:\d+ \(s2\) runs with preset fixed where s1 runs with preset seed: list the servers of one cluster, or start each \(--only\) with the same --preset, --knob and --leader$/m,
        'get x\n',
      );
    } finally {
      seed.serve.kill('SIGTERM');
      fixed.serve.kill('SIGTERM');
    }
  });

  it('a knob only the servers read, given to the client, which reads its own', async () => {
    const { serve, servers } = await serveCluster(['--quiet']);
    try {
      const args = ['--servers', servers, '--id', 'c1', '--script', '-'];
      await oneLine(
        'client',
        [...args, '--knob', 'replicationDelay=0'],
        /^error: --knob replicationDelay is read by the servers only, so here it would change nothing: start them with it \(npm run serve -- --knob replicationDelay=0\); a client reads clientSession, clientTimestamp, requestTimeout, retryOnTryOther, retryLimit, retryBackoff$/m,
        'get x\n',
      );
      // A knob the client's machine reads is taken.
      const own = await run(
        'client',
        [...args.slice(0, 2), '--id', 'c2', '--script', '-', '--knob', 'retryLimit=2'],
        'get x via s2\n',
      );
      expect(own.stderr).toBe('');
      expect(own.stdout).toMatch(/GET x via s2 → /);
    } finally {
      serve.kill('SIGTERM');
    }
  });

  it("the client's own knobs are those its machine reads in protocol/, no more, no fewer", () => {
    for (const store of ['replicated', 'lock'] as const) {
      const source = readFileSync(join(ROOT, 'protocol', store, 'client.ts'), 'utf8');
      // Every `knobs.<name>` read, the import of './knobs.ts' aside.
      const read = new Set([...source.matchAll(/\bknobs\.(?!ts')(\w+)/g)].map((m) => m[1]));
      expect([...CLIENT_KNOBS[store]].sort(), store).toEqual([...read].sort());
    }
  });

  it('--port-base that leaves no port for the last server, as many as they are', async () => {
    await oneLine(
      'serve',
      ['--port-base', '65534'],
      /^error: --port-base must be a whole number from 0 to 65533, as the 3 servers take the ports from it to it\+2 \(got '65534'\)$/m,
    );
    await oneLine(
      'serve',
      ['--servers', '9', '--port-base', '65528'],
      /^error: --port-base must be a whole number from 0 to 65527, as the 9 servers take the ports from it to it\+8/m,
    );
    // One server may take the last port: the bound is the ports needed, not nine of them.
    const serve = launch('serve', ['--store', 'lock', '--port-base', '65535']);
    const done = finish(serve);
    const out = await waitFor(serve, /ready: /);
    serve.kill('SIGTERM');
    const r = await done;
    expect(r.stderr).toBe('');
    expect(out).toMatch(/s1 listening on 127\.0\.0\.1:65535/);
  });

  it('a script naming an unknown server', async () => {
    await oneLine(
      'client',
      ['--servers', '127.0.0.1:1,127.0.0.1:2', '--script', '-'],
      /script line 2: 's9' is not a server of this cluster \(s1, s2\)/,
      'get x\nget x via s9\n',
    );
  });

  it('bad flags', async () => {
    await oneLine('serve', ['--leader', 's7'], /--leader must be one of s1, s2, s3/);
    await oneLine('serve', ['--store', 'lock', '--servers', '3'], /exactly one server/);
    // Alone on a port of its own choosing, s1 could never reach its followers.
    await oneLine('serve', ['--only', 's1', '--port-base', '0'], /--only needs fixed ports/);
    await oneLine('client', [], /name the servers/);
    const servers = ['--servers', '127.0.0.1:1'];
    const idRule = /--id must be c then at most 31 letters, digits, '-' or '_', e.g. c1/;
    await oneLine('client', [...servers, '--id', 'c 1'], idRule);
    await oneLine('client', [...servers, '--id', `c${'1'.repeat(5000)}`], idRule);
    // A script is read up to a bound, so that /dev/zero is refused rather than read for ever.
    const big = join(dir, 'big-script.txt');
    writeFileSync(big, 'sleep 1\n'.repeat(2_200_000));
    await oneLine('client', [...servers, '--script', big], /holds more than 16 MB; .*split it/);
    await oneLine(
      'client',
      [...servers, '--script', dir],
      /^error: '.*' is a folder; name a script file in it, or - for stdin$/m,
    );
    await oneLine('live', ['--faults', 'delay,fire'], /--faults takes .* \(got 'fire'\)/);
    await oneLine('live', ['--faults', 'none,crash'], /--faults none stands alone/);
    await oneLine('live', ['--knob', 'followerApply=maybe'], /knob followerApply must be one of/);
    await oneLine(
      'live',
      ['--store', 'lock', '--servers', '1', '--knob', 'ackPolicy=all-followers'],
      /ackPolicy is a knob of the replicated store; the store \(--store\) is lock/,
    );
  });
});

describe('npm run live', () => {
  it('judges a short real run, writes the trace and the page, and says what it cannot promise', async () => {
    const json = join(dir, 'live.json');
    const html = join(dir, 'live.html');
    const r = await run('live', [
      '--ops',
      '12',
      '--clients',
      '2',
      '--faults',
      'delay,duplicate,hold',
      '--knob',
      'requestTimeout=300',
      '--json',
      json,
      '--html',
      html,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/operations 12 issued, 12 completed, 0 pending/);
    expect(r.stdout).toMatch(/✓ convergence +held/);
    expect(r.stdout).toMatch(/not\s+the\s+timing/);
    // No scenario scripted it: the summary expects nothing of a step and speaks of no scenario.
    expect(r.stdout).not.toMatch(/scenario|no step has an expect/);
    expect(r.stdout).toContain('every guarantee the store promises held');
    // The summary, its note on replay included, fits the 100 columns of a pipe.
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    const doc = parseTraceDocument(readFileSync(json, 'utf8'));
    expect(doc.store).toBe('replicated');
    expect(doc.history.operations).toHaveLength(12);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
    // npm run view makes the same page from the saved live trace.
    const again = join(dir, 'again.html');
    expect((await run('view', [json, '--html', again])).status).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(html, 'utf8'));
    // No scenario to rerun, so no lab: as view's --help says of a live run's page.
    expect(readFileSync(html, 'utf8')).not.toContain('Lab: what if');
    const help = (await run('view', ['--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      'lab included (a live run has no scenario to rerun: its page has no lab;',
    );
  });

  /** The states of /proc/net/tcp a test waits for. */
  const LISTEN = '0A';
  const ESTABLISHED = '01';

  /**
   * How many TCP sockets of a process are in `state` (Linux: its socket descriptors matched with
   * the sockets of /proc/net/tcp). A live run's cluster is up once it listens on six ports; its
   * workload is under way once a connection is up, as a client dials a server only to send it
   * its first request.
   */
  function sockets(pid: number, state: string): number {
    try {
      const inodes = new Set<string>();
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (m !== null) inodes.add(m[1]!);
        } catch {
          // Closed while read.
        }
      }
      const rows = readFileSync(`/proc/${pid}/net/tcp`, 'utf8').trim().split('\n').slice(1);
      return rows
        .map((row) => row.trim().split(/\s+/))
        .filter((f) => f[3] === state && inodes.has(f[9]!)).length;
    } catch {
      return 0;
    }
  }

  /** A long live run, in a process group of its own, once its three servers and relays listen. */
  async function longRun(json: string): Promise<ChildProcess> {
    const args = ['--ops', '5000', '--faults', 'delay', '--json', json];
    const child = launch('live', args, undefined, true);
    while (sockets(child.pid!, LISTEN) < 6 && child.exitCode === null) await sleep(50);
    expect(sockets(child.pid!, LISTEN)).toBeGreaterThanOrEqual(6);
    return child;
  }

  // A kill (SIGTERM) is how a CI runner cancels a job: the run so far is kept as after Ctrl-C.
  it.each([
    { signal: 'SIGINT', status: 130, said: 'interrupted', again: 'Ctrl-C again', by: 'Ctrl-C' },
    {
      signal: 'SIGTERM',
      status: 143,
      said: 'terminated',
      again: 'a second kill',
      by: 'a kill (SIGTERM)',
    },
  ] as const)(
    '$signal stops the workload, and the run so far is judged and saved (exit $status)',
    async ({ signal, status, said, again, by }) => {
      const json = join(dir, `${signal}.json`);
      const child = await longRun(json);
      const finished = finish(child);
      // Once operations are under way (a fixed 300 ms here came before the first when the
      // command's timers ran 2 s late, and it judged none).
      while (sockets(child.pid!, ESTABLISHED) === 0 && child.exitCode === null) await sleep(50);
      process.kill(-child.pid!, signal);
      const r = await finished;
      expect(r.status).toBe(status);
      expect(r.stderr).toBe(
        `${said}: no more operations or faults; undoing those injected, then judging what ran (within --settle-ms 15000; ${again} ends at once)\n`,
      );
      const issued = Number(/operations (\d+) issued, \1 completed, 0 pending/.exec(r.stdout)?.[1]);
      expect(issued).toBeGreaterThan(0);
      expect(issued).toBeLessThan(5000);
      expect(r.stdout).toContain(`by ${by} before the workload's end (5000 operations planned)`);
      expect(r.stdout).toMatch(/✓ convergence +held/);
      // The trace of what ran is saved whole, as after a run that went to its end.
      const doc = parseTraceDocument(readFileSync(json, 'utf8'));
      expect(doc.history.operations).toHaveLength(issued);
    },
  );

  it('Ctrl-C in a terminal under npm run (which passes its own on too) is one Ctrl-C: judged and saved', async () => {
    const json = join(dir, 'npm.json');
    const args = ['run', '-s', 'live', '--', '--ops', '5000', '--faults', 'delay', '--json', json];
    const npm = spawn('npm', args, { cwd: ROOT, env: plainEnv(), stdio: 'pipe', detached: true });
    npm.stdin!.end();
    started.push(npm);
    const finished = finish(npm);
    // The command npm started, once its operations are under way.
    const command = () =>
      Number(readFileSync(`/proc/${npm.pid}/task/${npm.pid}/children`, 'utf8').trim() || 0);
    let pid = 0;
    while ((pid === 0 || sockets(pid, ESTABLISHED) === 0) && npm.exitCode === null) {
      await sleep(50);
      pid = command();
    }
    // The whole foreground job, as a terminal's Ctrl-C: npm and the command it started.
    process.kill(-npm.pid!, 'SIGINT');
    const r = await finished;
    expect(r.status).toBe(130);
    expect(r.stdout).toContain("by Ctrl-C before the workload's end (5000 operations planned)");
    expect(
      parseTraceDocument(readFileSync(json, 'utf8')).history.operations.length,
    ).toBeGreaterThan(0);
  });

  it('a second Ctrl-C ends the command at once, with nothing written', async () => {
    const json = join(dir, 'twice.json');
    const child = await longRun(json);
    const finished = finish(child);
    process.kill(-child.pid!, 'SIGINT');
    // The first is answered on stderr (the command still running); the second then ends it.
    const answered = new Promise((resolve) =>
      child.stderr!.once('data', () => resolve('answered')),
    );
    expect(await Promise.race([answered, finished.then(() => 'ended')])).toBe('answered');
    process.kill(-child.pid!, 'SIGINT');
    const r = await finished;
    expect(r.status).toBe(130);
    expect(r.stdout).toBe('');
    expect(existsSync(json)).toBe(false);
  });

  it('says how many planned operations were never issued, queued behind one that never completed', async () => {
    // A replication delay of an hour: the first PUT waits for it, and the sequential session
    // (the fixed preset's) queues the rest of the client's share behind it.
    const r = await run('live', [
      '--knob',
      'replicationDelay=3600000',
      '--faults',
      'none',
      '--clients',
      '1',
      '--keys',
      '1',
      '--ops',
      '4',
      '--settle-ms',
      '300',
    ]);
    const issued = Number(/operations (\d+) issued/.exec(r.stdout)?.[1]);
    expect(issued).toBeLessThan(4);
    expect(r.stdout.replace(/\n {13}/g, ' ')).toContain(
      `workload   ${issued} of the 4 operations planned were issued; the other ${4 - issued} were still queued behind an operation that never completed when the run ended`,
    );
    // A run without faults: the PUT has been pending since its issue, not since some end of faults.
    const said = r.stdout.replace(/\n +/g, ' ');
    const pending =
      /issued at (\d+\.\d+)s\) had been pending ([\d.]+) (m?s) when the run was cut at ([\d.]+) s, not longer/.exec(
        said,
      );
    expect(pending).not.toBeNull();
    const [, issuedAt, span, unit, cut] = pending!;
    const spanS = Number(span) / (unit === 'ms' ? 1000 : 1);
    expect(Math.abs(Number(cut) - Number(issuedAt) - spanS)).toBeLessThan(0.1);
  });

  it('a trace it cannot write still leaves the summary of the run, then says why in one line', async () => {
    // /dev/full takes no byte: the write fails the way a full disk does, after the live run.
    const r = await run('live', ['--ops', '4', '--faults', 'none', '--json', '/dev/full']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: could not write --json '\/dev\/full': ENOSPC[^\n]*\n$/);
    expect(r.stdout).toMatch(/operations 4 issued, 4 completed, 0 pending/);
    expect(r.stdout).toMatch(/replay +npm run live -- --ops 4 --faults none --json \/dev\/full/);
  });
});
