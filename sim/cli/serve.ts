// `npm run serve -- [--store S] [--servers N] [--leader sK] [--port-base P] [--preset P] [--knob k=v]`:
// the store's unchanged servers on a real network — 127.0.0.1, JSON lines over TCP, real timers,
// the real clock — all in this process, or one OS process each with --processes. It logs what
// every server receives and stores, and runs until Ctrl-C.

import { type ChildProcess, spawn } from 'node:child_process';
import type { NodeId } from '../../protocol/core.ts';
import { ListenError, LOOPBACK } from '../live/endpoint.ts';
import { LiveNode, nodeSpecs, originSince, realClock, sharedNow } from '../live/node.ts';
import { formatMessage, formatObservation, formatTime } from '../render/format.ts';
import { displayText } from '../render/safe-text.ts';
import { knobsText } from '../scenario.ts';
import { CLUSTER_OPTIONS, clusterFromFlags, wholeNumber } from './cluster-flags.ts';
import { EXIT, filelessFlags, main, selfCommand, UsageError } from './usage.ts';

const HELP =
  'usage: npm run serve -- [--store replicated|lock] [--servers N] [--leader sK] [--port-base P] [--preset seed|fixed] [--knob name=value ...] [--processes] [--only sK] [--quiet]';

export const DEFAULT_PORT_BASE = 10097;

/** What `--help` says under the usage line: each flag's meaning, unit and default. */
const DETAILS = [
  '',
  'Starts the servers on 127.0.0.1 and logs what each receives and stores, until Ctrl-C.',
  '',
  '  --store replicated|lock  the store run (default replicated)',
  "  --servers N              servers, 1 to 9 (default the store's: 3, or 1 for lock)",
  '  --leader sK              the leader (default s1)',
  `  --port-base P            s1's port; s2 listens on P+1, … (default ${DEFAULT_PORT_BASE}; 0: any free ports)`,
  "  --preset seed|fixed      the student's choices or the corrected ones (default seed)",
  '  --knob name=value        flips one knob over the preset; repeat it for more',
  '  --processes              one OS process per server',
  '  --only sK                starts that one server, to run each in a terminal of its own',
  '  --quiet                  prints where each server listens, not what it receives',
];

const OPTIONS = {
  ...CLUSTER_OPTIONS,
  'port-base': { type: 'string' },
  processes: { type: 'boolean' },
  only: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Set in the children of --processes: each stops when its parent's end of stdin closes. */
const SUPERVISED = 'KVSIM_SERVE_SUPERVISED';
/** The supervisor's start (sharedNow), which its servers count their log's times from. */
const SINCE = 'KVSIM_SERVE_SINCE';

async function serve(argv: readonly string[]): Promise<number> {
  const values = filelessFlags('serve', argv, OPTIONS, HELP, '', DETAILS);
  if (values === null) return EXIT.ok;
  const cluster = clusterFromFlags(values, [], 'seed');
  // The servers take the ports from P on, one each: the last of them must be a port.
  const more = cluster.servers.length - 1;
  const portBase = wholeNumber(
    values['port-base'],
    '--port-base',
    DEFAULT_PORT_BASE,
    0,
    65_535 - more,
    more === 0 ? '' : `, as the ${more + 1} servers take the ports from it to it+${more}`,
  );
  const fixedPort = (id: NodeId) => (portBase === 0 ? 0 : portBase + cluster.servers.indexOf(id));
  if (values.only !== undefined && !cluster.servers.includes(values.only))
    throw new UsageError(
      `--only must name one of ${cluster.servers.join(', ')} (got '${values.only}')`,
    );
  // A server started alone finds the others only at ports it can work out.
  const apart = values.processes ? '--processes' : values.only !== undefined ? '--only' : null;
  if (apart !== null && portBase === 0)
    throw new UsageError(
      `${apart} needs fixed ports so that the servers find each other; give --port-base N`,
    );
  if (values.processes && values.only !== undefined)
    throw new UsageError('--processes starts every server itself; leave out --only');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // Once per cluster: --processes says it for its children; a server started alone, in a
  // terminal of its own, says it itself (so that each terminal shows what its server runs).
  if (process.env[SUPERVISED] !== '1')
    say(`${cluster.store.name} store, preset ${cluster.preset}: ${knobsText(cluster.knobs)}`);
  /** The line a client's --servers is copied from, once every server listens. */
  const ready = (ports: ReadonlyMap<NodeId, number>) =>
    say(
      `ready: npm run client -- --servers ${cluster.servers.map((id) => `${LOOPBACK}:${ports.get(id)}`).join(',')}`,
    );
  if (values.processes) return superviseProcesses(argv, cluster.servers, ready);

  const since = Number(process.env[SINCE]);
  const supervised = process.env[SUPERVISED] === '1' && Number.isFinite(since);
  const clock = realClock(supervised ? originSince(since) : undefined);
  const ports = new Map<NodeId, number>();
  const quiet = values.quiet === true;
  // What a server receives comes from whoever connects: its keys and values are shown escaped.
  const log = (node: NodeId, text: string) => {
    if (!quiet)
      say(`${formatTime(clock.nowMs()).padStart(10)}  ${node.padEnd(4)} ${displayText(text)}`);
  };
  const mine = values.only === undefined ? cluster.servers : [values.only];
  const nodes = nodeSpecs(cluster)
    .filter((spec) => mine.includes(spec.id))
    .map(
      (spec) =>
        new LiveNode(
          spec,
          cluster,
          (id) => {
            if (!cluster.servers.includes(id)) return undefined;
            const port = ports.get(id) ?? fixedPort(id);
            return { host: LOOPBACK, port };
          },
          clock,
          {
            delivered: (e) => log(e.to, `← ${e.from}  ${formatMessage(e.message)}`),
            refused: (e, why) => log(e.to, `✗ ignored a message from ${e.from}: ${why}`),
            recorded: (node, o) => {
              if (o.kind === 'apply' || o.kind === 'note') log(node, formatObservation(o));
            },
          },
        ),
    );
  const stopAll = () => Promise.all(nodes.map((n) => n.stop()));
  for (const node of nodes) {
    try {
      ports.set(node.id, await node.listen(fixedPort(node.id)));
    } catch (error) {
      await stopAll();
      if (error instanceof ListenError)
        throw new UsageError(
          `${error.message}; stop whatever holds it, or pick other ports with --port-base N (0: any free ports)`,
        );
      throw error;
    }
    const role =
      node.id === cluster.leader && cluster.store.name === 'replicated' ? ' (leader)' : '';
    say(`${node.id}${role} listening on ${LOOPBACK}:${ports.get(node.id)} (pid ${process.pid})`);
  }
  if (values.only === undefined) {
    ready(ports);
  } else if (process.env[SUPERVISED] === '1' && process.send !== undefined) {
    // Tells the supervisor this server listens (after its line above), then lets go of the
    // channel, which would otherwise keep this process up once its server stops.
    const port = ports.get(values.only)!;
    process.send({ listening: values.only, port } satisfies Listening, () => process.disconnect());
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    // Started by `--processes`: the parent holds our stdin open, and if it dies we stop too.
    if (process.env[SUPERVISED] === '1') {
      process.stdin.resume();
      process.stdin.once('close', resolve);
    }
  });
  // Stopping by a signal, a child lets go of the stdin it watches: held open, the parent's pipe
  // would keep this process up, and the parent, waiting for it, up with it.
  if (process.env[SUPERVISED] === '1') process.stdin.destroy();
  await stopAll();
  return EXIT.ok;
}

/** What a server started by --processes tells its supervisor once it listens. */
interface Listening {
  readonly listening: NodeId;
  readonly port: number;
}

/**
 * --processes: one child process per server (this same command with --only), stopped together.
 * `ready` is given every server's port once all listen, as serve alone gives its own.
 */
async function superviseProcesses(
  argv: readonly string[],
  servers: readonly NodeId[],
  ready: (ports: ReadonlyMap<NodeId, number>) => void,
): Promise<number> {
  const args = argv.filter((a) => a !== '--processes');
  const ports = new Map<NodeId, number>();
  const env = { ...process.env, [SUPERVISED]: '1', [SINCE]: String(sharedNow()) };
  const children: ChildProcess[] = servers.map((id) =>
    spawn(process.execPath, [...selfCommand(), ...args, '--only', id], {
      stdio: ['pipe', 'inherit', 'inherit', 'ipc'],
      env,
    }),
  );
  for (const child of children)
    child.on('message', (m: Listening) => {
      ports.set(m.listening, m.port);
      if (ports.size === servers.length) ready(ports);
    });
  const stop = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const codes = await Promise.all(
    children.map(
      (child) =>
        new Promise<number>((resolve) => {
          child.once('exit', (code) => {
            // One server that could not start (a port in use) stops the others.
            if (code !== 0) stop();
            resolve(code ?? 0);
          });
        }),
    ),
  );
  return codes.find((c) => c !== 0) ?? EXIT.ok;
}

await main(() => serve(process.argv.slice(2)));
