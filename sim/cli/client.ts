// `npm run client -- --servers host:port,... [--id c1] [--script file|-] [--knob k=v ...]`: the
// write-up's client menu (PUT, GET, DELETE) on a real cluster started by `npm run serve`. Each
// reply is printed when it arrives, in the protocol's words (TRY_OTHER_SERVER_OR_LATER included).
// A script runs the same commands without a menu: `put x 2 via s1`, `get x via s3`, `delete x`,
// `sleep 500`, `wait` (until every reply is in); `#` starts a comment.

import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import type { NodeId } from '../../protocol/core.ts';
import {
  CLIENT_KNOBS,
  type Completion,
  clusterOfHello,
  greetCluster,
  LiveClient,
  type LiveOp,
} from '../live/client.ts';
import type { Address } from '../live/endpoint.ts';
import { realClock } from '../live/node.ts';
import { counted, formatTime, operationText } from '../render/format.ts';
import { clip, displayText } from '../render/safe-text.ts';
import { parseStoreKnob } from '../stores/index.ts';
import { wholeNumber } from './cluster-flags.ts';
import {
  EXIT,
  filelessFlags,
  main,
  openInput,
  parseKnobFlags,
  readAtMost,
  UsageError,
  waitingFor,
} from './usage.ts';

const HELP =
  'usage: npm run client -- --servers 127.0.0.1:10097,127.0.0.1:10098,... [--id c1] [--script file|-] [--knob name=value ...] [--wait-ms N]';

/** What `--help` says under the usage line: each flag's meaning, unit and default. */
const DETAILS = [
  '',
  "Connects to the servers npm run serve started, asks what they run, and offers the write-up's",
  'menu (PUT, GET, DELETE); each reply is printed when it arrives.',
  '',
  '  --servers host:port,...  the servers, s1 first, in order (required)',
  "  --id c1                  this client's name (default c and the process id); servers that",
  '                           dedupe requests (requestIds=dedupe) refuse a name they have served',
  '  --script file|-          runs the commands of a file (- for stdin) instead of the menu:',
  '                           put x 2 via s1, get x via s3, delete x, sleep 500, wait; # comments',
  '  --knob name=value        flips a knob the client reads (its session, timestamps, timeout and',
  "                           retries) over the servers' settings; repeat it. The others go to serve",
  '  --wait-ms N              ms to wait for the replies still due at a wait or at the end',
  '                           (default 120000)',
];

const OPTIONS = {
  servers: { type: 'string' },
  id: { type: 'string' },
  script: { type: 'string' },
  knob: { type: 'string', multiple: true },
  'wait-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseAddresses(raw: string | undefined): Address[] {
  if (raw === undefined || raw === '')
    throw new UsageError(
      `name the servers, e.g. --servers 127.0.0.1:10097,127.0.0.1:10098; ${HELP}`,
    );
  return raw.split(',').map((part) => {
    const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(part.trim());
    const port = m === null ? Number.NaN : Number(m[2]);
    if (m === null || port < 1 || port > 65_535)
      throw new UsageError(`--servers takes host:port pairs separated by commas (got '${part}')`);
    return { host: m[1]!, port };
  });
}

/** One command of the menu or a script; null for a blank line or a comment. */
type Command =
  | { readonly kind: 'op'; readonly op: LiveOp; readonly via: NodeId | null }
  | { readonly kind: 'sleep'; readonly ms: number }
  | { readonly kind: 'wait' };

function parseCommand(line: string, servers: readonly NodeId[]): Command | null {
  const words = line
    .replace(/#.*$/, '')
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return null;
  const [verb, ...rest] = words;
  let via: NodeId | null = null;
  const at = rest.indexOf('via');
  if (at >= 0) {
    via = rest[at + 1] ?? '';
    if (!servers.includes(via))
      throw new Error(`'${via}' is not a server of this cluster (${servers.join(', ')})`);
    rest.splice(at, 2);
  }
  const usage =
    'commands: put KEY VALUE [via sK] | get KEY [via sK] | delete KEY [via sK] | sleep MS | wait';
  switch (verb!.toLowerCase()) {
    case 'put':
      if (rest.length !== 2) throw new Error(`put takes a key and a value; ${usage}`);
      return { kind: 'op', op: { kind: 'put', key: rest[0]!, value: rest[1]! }, via };
    case 'get':
    case 'delete':
      if (rest.length !== 1) throw new Error(`${verb} takes one key; ${usage}`);
      return {
        kind: 'op',
        op: { kind: verb!.toLowerCase() as 'get' | 'delete', key: rest[0]! },
        via,
      };
    case 'sleep':
      if (rest.length !== 1 || !/^\d{1,7}$/.test(rest[0]!))
        throw new Error(`sleep takes a whole number of ms; ${usage}`);
      return { kind: 'sleep', ms: Number(rest[0]) };
    case 'wait':
      return { kind: 'wait' };
    default:
      throw new Error(`unknown command '${verb}'; ${usage}`);
  }
}

/** A completed operation in the protocol's words: `op 4 GET x via s3 → TRY_OTHER_SERVER_OR_LATER from s3`. */
function replyText(label: string, c: Completion): string {
  const value = c.value === null ? '' : ` ${c.value}`;
  const ts = c.ts === null ? '' : ` (ts ${c.ts})`;
  return `${label} → ${c.reply}${value}${ts} from ${c.server}`;
}

async function client(argv: readonly string[]): Promise<number> {
  const values = filelessFlags('client', argv, OPTIONS, HELP, '; use --script FILE', DETAILS);
  if (values === null) return EXIT.ok;
  const addresses = parseAddresses(values.servers);
  const id = values.id ?? `c${process.pid}`;
  if (!/^c[A-Za-z0-9_-]{0,31}$/.test(id))
    throw new UsageError(
      `--id must be c then at most 31 letters, digits, '-' or '_', e.g. c1 (got '${clip(id, 60)}')`,
    );
  const waitMs = wholeNumber(values['wait-ms'], '--wait-ms', 120_000, 1, 3_600_000);
  const named = addresses.map((_, i) => `s${i + 1}`);
  const script = values.script === undefined ? null : parseScript(readScript(values.script), named);
  // Their form is checked before the servers are asked anything; their names and values after,
  // against the store the servers run.
  const knobFlags = parseKnobFlags(values.knob);
  let hello: Awaited<ReturnType<typeof greetCluster>>;
  try {
    hello = await greetCluster(addresses, id, 2_000);
  } catch (error) {
    const why = (error as Error).message;
    const mend = why.startsWith('nothing answers') ? '; start the servers with: npm run serve' : '';
    throw new UsageError(`${why}${mend}`);
  }
  const store = clusterOfHello(hello, {});
  const overrides: Record<string, string | number> = {};
  for (const [name, raw] of Object.entries(knobFlags)) {
    const parsed = parseStoreKnob(store.store, name, raw, "the servers' store");
    if (!parsed.ok) throw new UsageError(parsed.error);
    const own = CLIENT_KNOBS[store.store.name];
    if (!own.includes(name))
      throw new UsageError(
        `--knob ${name} is read by the servers only, so here it would change nothing: start them with it (npm run serve -- --knob ${name}=${raw}); a client reads ${own.join(', ')}`,
      );
    overrides[parsed.value.name] = parsed.value.value;
  }
  const cluster = clusterOfHello(hello, overrides);
  const clock = realClock();
  // Keys, values and server names come from the script and from the servers: shown escaped.
  const say = (line: string) =>
    process.stdout.write(`${formatTime(clock.nowMs()).padStart(10)}  ${displayText(line)}\n`);
  const live = new LiveClient(id, cluster, (s) => addresses[cluster.servers.indexOf(s)], clock, {
    refused: (e, why) => say(`${id} ignored a message from ${e.from}: ${why}`),
  });
  process.stdout.write(
    `${displayText(`${id} connected to a ${cluster.store.name} store (${cluster.servers.join(', ')}; preset ${cluster.preset})`)}\n`,
  );
  const session = new Session(live, cluster.servers, say);
  // Ctrl-C: from a script, or while the menu waits for replies (the menu's own is below).
  process.once('SIGINT', () => session.interrupted());
  try {
    return await (script === null ? session.menu(waitMs) : session.runScript(script, waitMs));
  } finally {
    await live.stop();
  }
}

/** A script is one command a line: a file this long is not one (or is /dev/zero). */
const MAX_SCRIPT_BYTES = 16 * 1024 * 1024;

function readScript(path: string): string {
  let text: string | null;
  try {
    // A named pipe is waited on, saying so, rather than held at open() in silence.
    const { fd, fifo, close } = openInput(path);
    try {
      text = readAtMost(fd, MAX_SCRIPT_BYTES, { fifo, waiting: waitingFor('a script', path) });
    } finally {
      close();
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EISDIR')
      throw new UsageError(`'${path}' is a folder; name a script file in it, or - for stdin`);
    throw new UsageError(
      `cannot read the script '${path}': ${code === 'ENOENT' ? 'there is no such file' : (error as Error).message}`,
    );
  }
  if (text === null)
    throw new UsageError(
      `the script '${path}' holds more than ${MAX_SCRIPT_BYTES / 1024 / 1024} MB; a script is one command a line: split it`,
    );
  return text;
}

/** Every line of a script checked before anything is sent: a mistake is one sentence, exit 2. */
function parseScript(text: string, servers: readonly NodeId[]): Command[] {
  const commands: Command[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    try {
      const command = parseCommand(line, servers);
      if (command !== null) commands.push(command);
    } catch (error) {
      throw new UsageError(`script line ${i + 1}: ${(error as Error).message}`);
    }
  }
  return commands;
}

class Session {
  private readonly all: Promise<Completion>[] = [];
  /** The menu's prompt on a terminal while it waits for a line, and what reads that line. */
  private prompting: { readonly prompt: string; readonly rl: Interface } | null = null;

  constructor(
    private readonly live: LiveClient,
    private readonly servers: readonly NodeId[],
    private readonly say: (line: string) => void,
  ) {}

  issue(op: LiveOp, via: NodeId | null): void {
    const server = via ?? this.servers[0]!;
    const { opId, done, issued } = this.live.invoke(op, server);
    const label = `op ${opId} ${operationText(op.kind, op.key, op.kind === 'put' ? op.value : null)} via ${server}`;
    if (issued === null) this.say(`${label} sent`);
    else {
      // clientSession=sequential: sent once the operation before it is answered.
      this.say(`${label} queued behind the operation still pending`);
      void issued.then(() => this.late(`${label} sent`));
    }
    this.all.push(
      done.then((c) => {
        this.late(replyText(label, c));
        return c;
      }),
    );
  }

  /**
   * A reply that arrives while the menu waits for a line goes above its prompt, which is drawn
   * again with what was typed so far (printed after it, the prompt was lost).
   */
  private late(line: string): void {
    const p = this.prompting;
    if (p === null) {
      this.say(line);
      return;
    }
    clearLine(process.stdout, 0);
    cursorTo(process.stdout, 0);
    this.say(line);
    process.stdout.write(`${p.prompt}${p.rl.line}`);
  }

  /**
   * Ctrl-C: says how many operations had no reply yet, and ends the client with the status a
   * shell gives a command Ctrl-C ends (130).
   */
  interrupted(): never {
    const pending = this.live.pending;
    process.stdout.write('\n');
    this.say(
      `interrupted${pending > 0 ? `: ${counted(pending, 'operation')} still without a reply` : ''}`,
    );
    process.exit(130);
  }

  /** Waits until every reply is in, or `withinMs` passes; says which are still pending. */
  async settle(withinMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), withinMs);
    });
    const ok = await Promise.race([Promise.all(this.all).then(() => true), timeout]);
    clearTimeout(timer);
    if (!ok)
      this.say(
        `${counted(this.live.pending, 'operation')} still without a reply after ${withinMs} ms`,
      );
    return ok;
  }

  async runScript(commands: readonly Command[], waitMs: number): Promise<number> {
    for (const command of commands) {
      if (command.kind === 'op') this.issue(command.op, command.via);
      else if (command.kind === 'sleep') await new Promise((r) => setTimeout(r, command.ms));
      else if (!(await this.settle(waitMs))) return EXIT.failed;
    }
    return (await this.settle(waitMs)) ? EXIT.ok : EXIT.failed;
  }

  async menu(waitMs: number): Promise<number> {
    const rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: process.stdin.isTTY,
    });
    // On a terminal, readline takes Ctrl-C as a key and, unheard, would only pause the menu.
    rl.on('SIGINT', () => this.interrupted());
    // Lines are read through one iterator, so that answers typed (or piped) ahead are kept.
    const lines = rl[Symbol.asyncIterator]();
    const ask = async (q: string): Promise<string | null> => {
      process.stdout.write(q);
      if (process.stdout.isTTY) this.prompting = { prompt: q.slice(q.lastIndexOf('\n') + 1), rl };
      const next = await lines.next();
      this.prompting = null;
      return next.done === true ? null : String(next.value);
    };
    try {
      for (;;) {
        const choice = await ask('\n1) PUT  2) GET  3) DELETE  4) wait for replies  5) quit\n> ');
        if (choice === null || choice.trim() === '5' || choice.trim() === 'q') break;
        const command = await this.menuCommand(choice.trim(), ask);
        if (command === 'wait') await this.settle(waitMs);
      }
    } finally {
      rl.close();
    }
    const due = this.live.pending;
    if (due > 0)
      this.say(
        `waiting for ${counted(due, 'reply', 'replies')} still due (at most ${waitMs} ms; Ctrl-C leaves now)`,
      );
    return (await this.settle(waitMs)) ? EXIT.ok : EXIT.failed;
  }

  private async menuCommand(
    choice: string,
    ask: (q: string) => Promise<string | null>,
  ): Promise<'wait' | null> {
    if (choice === '4') return 'wait';
    const kind = ({ '1': 'put', '2': 'get', '3': 'delete' } as const)[choice as '1' | '2' | '3'];
    if (kind === undefined) {
      process.stdout.write(`${notAChoice(choice, this.servers)}\n`);
      return null;
    }
    const key = (await ask('key: '))?.trim() ?? '';
    if (key === '') return null;
    const value = kind === 'put' ? ((await ask('value: '))?.trim() ?? '') : '';
    const server = await chooseServer(this.servers, ask);
    if (server === null) return null;
    const op: LiveOp = kind === 'put' ? { kind, key, value } : { kind, key };
    this.issue(op, server);
    return null;
  }
}

/**
 * What the menu says of a line that is none of its choices: what it takes, and, for a line such
 * as `put x 1`, that such commands are what --script reads.
 */
function notAChoice(line: string, servers: readonly NodeId[]): string {
  let command = false;
  try {
    command = parseCommand(line, servers) !== null;
  } catch {
    // Not a command either.
  }
  const typed = line === '' ? 'an empty line' : `'${displayText(line, 60)}'`;
  const script = command
    ? `; a command such as '${displayText(line, 60)}' runs from a file with --script`
    : '';
  return `${typed} is not a choice: type 1 (PUT), 2 (GET), 3 (DELETE), 4 (wait for replies) or 5 (quit), then answer what it asks${script}`;
}

async function chooseServer(
  servers: readonly NodeId[],
  ask: (q: string) => Promise<string | null>,
): Promise<NodeId | null> {
  if (servers.length === 1) return servers[0]!;
  const names = displayText(servers.join(', '));
  const answer = (await ask(`server (${names}; Enter: ${displayText(servers[0]!)}): `))?.trim();
  if (answer === undefined) return null;
  if (answer === '') return servers[0]!;
  if (servers.includes(answer)) return answer;
  process.stdout.write(`${displayText(`'${answer}' is not one of ${servers.join(', ')}`)}\n`);
  return null;
}

await main(() => client(process.argv.slice(2)));
