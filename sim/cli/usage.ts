// The command line's shared rules: a user's mistake is one line on stderr and exit status 2;
// our own failure is an internal error with the seed, exit status 1.

import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MIN_WIDTH } from '../render/diagram.ts';
import { displayText, escapeControls, shellWord } from '../render/safe-text.ts';
import { hanging } from '../render/summary.ts';
import { nearest } from '../scenario/errors.ts';
import { MAX_SEED } from '../scenario/limits.ts';

export class UsageError extends Error {}

/**
 * Exit statuses; `interrupted` is a shell's for a command Ctrl-C ended (128 + SIGINT's 2),
 * `terminated` for one kill (SIGTERM, 15) ended, as a CI runner cancelling a job does.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

/** The signals that stop a long search early, each with the status it ends the command with. */
export const STOPPING = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated } as const;

export type StopSignal = keyof typeof STOPPING;

/**
 * How soon after the first a second signal of the same kind is taken for the first again: under
 * `npm run`, Ctrl-C in a terminal reaches the command twice, from the terminal (to the whole
 * foreground job) and from npm, which passes its own on. A second press comes later than this.
 */
const ECHO_MS = 400;

/**
 * Calls `stop` on the first Ctrl-C or kill (SIGINT or SIGTERM); a second one, while the command
 * still stops, ends it at once with that signal's status. Returns how to stop listening.
 */
export function onStopSignal(stop: (signal: StopSignal) => void): () => void {
  const signals = Object.keys(STOPPING) as StopSignal[];
  let first: { readonly signal: StopSignal; readonly at: number } | null = null;
  const echoed = startedByNpmRun();
  const listeners = signals.map((signal) => {
    const listener = () => {
      if (first !== null) {
        const echo = echoed && first.signal === signal && performance.now() - first.at < ECHO_MS;
        if (!echo) process.exit(STOPPING[signal]);
        return;
      }
      first = { signal, at: performance.now() };
      stop(signal);
    };
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  const off = () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
  return off;
}

/**
 * The node arguments that start this very command again (serve --processes starts one copy a
 * server): through sim/cli/start.mjs when it started this one, as the npm scripts do, else the
 * command's own file under the loader it was started with.
 */
export function selfCommand(): string[] {
  const started = (globalThis as Record<symbol, unknown>)[Symbol.for('kvsim.start')];
  if (Array.isArray(started)) return [...process.execArgv, ...(started as string[])];
  return [...process.execArgv, process.argv[1]!];
}

/**
 * The command's flags npm took for its own: `npm run sim x.ts --seed 3`, without `--`, hands sim
 * `x.ts 3` and keeps --seed as a setting of its own (npm_config_seed in the environment).
 */
let takenByNpm: string[] = [];

/**
 * `npm run` started this very command (its script's name is the file's): not a command a test or
 * another script starts under npm, which sees npm's variables too.
 */
function startedByNpmRun(): boolean {
  const script = process.env.npm_lifecycle_event;
  return script !== undefined && basename(process.argv[1] ?? '') === `${script}.ts`;
}

/** This command's flags that npm read itself, when npm ran this very script. */
function flagsTakenByNpm(names: readonly string[]): string[] {
  if (!startedByNpmRun()) return [];
  // npm reads --quiet as its own log level (warn), which an .npmrc may set as well: a --quiet it
  // took leaves no trace of its own, and is not named.
  return names.filter((n) => process.env[`npm_config_${n.replaceAll('-', '_')}`] !== undefined);
}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
  help: string,
) {
  takenByNpm = flagsTakenByNpm(Object.keys(options).filter((n) => n !== 'help'));
  const parsed = parseOrRefuse(argv, options, help);
  refuseRepeated(parsed.tokens, options);
  // Typed after -- as well (`npm run --quiet sim -- x.ts --quiet`): the run did not go without it.
  const given = new Set(parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])));
  takenByNpm = takenByNpm.filter((n) => !given.has(n));
  // What is left parses, but the run would go without the flag: a CI gate that passes without
  // its --knob, a verify without its --informative. Refused before it runs, as any mistake; but
  // for a flag that is one of npm's own settings, which an .npmrc may set without a word typed:
  // that run goes on, and says so after it (see main).
  if (takenByNpm.some((n) => !NPM_SETTINGS.has(n)))
    throw new UsageError(npmTook('and this run would go without it'));
  return parsed;
}

/** Flags named as settings of npm's own (npm config ls -l), which an .npmrc may set. */
const NPM_SETTINGS: ReadonlySet<string> = new Set(['json', 'depth', 'only']);

/** What npm did with the flags it took, `what` it leaves, and the mend. */
function npmTook(what: string): string {
  const flags = takenByNpm.map(flagOf).join(', ');
  const variables = takenByNpm.map((n) => `npm_config_${n.replaceAll('-', '_')}`).join(', ');
  // npm sets the variable from an .npmrc or the environment as well: say so, for who typed none.
  return `npm took ${flags} for itself, since no -- came before, ${what}; write npm run ${process.env.npm_lifecycle_event} -- followed by the same words (or, if you typed -- first, unset ${variables}, which an .npmrc or the environment set)`;
}

/** The endings the loader imports. */
export const SCENARIO_FILE = /\.([cm]?[jt]s|tsx|jsx|json)$/;

/** parseArgs' answer, or its complaint as one line that names the mistake. */
function parseOrRefuse<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
  help: string,
) {
  try {
    return parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    // `--runs -1`: parseArgs will not take a value that looks like a flag, and says "ambiguous".
    const dashed = /^Option '(-[\w-]+)' argument is ambiguous/.exec(message);
    if (dashed !== null) {
      const flag = dashed[1]!;
      const at = argv.indexOf(flag);
      const value = escapeControls(argv[at + 1] ?? '');
      // `--seed -1`: read as --seed=-1, so that the flag's own check refuses it with its range.
      if (/^-\d+(\.\d+)?$/.test(value))
        return parseOrRefuse(
          [...argv.slice(0, at), `${flag}=${argv[at + 1]}`, ...argv.slice(at + 2)],
          options,
          help,
        );
      throw new UsageError(
        `${flag} ${value}: a value that begins with '-' is joined to its flag, as ${flag}=${value}; ${help}`,
      );
    }
    // `--sede 3`: the nearest flag is the likely one, and says more than the whole usage line.
    const unknown = /^Unknown option '(-[^']*)'/.exec(message)?.[1];
    // `-dash.ts`: a file whose name begins with '-' reads as flags; ./ in front makes it a path.
    const file =
      unknown === undefined
        ? undefined
        : argv.find(
            (a) =>
              a.startsWith(unknown) && a !== unknown && (existsSync(a) || SCENARIO_FILE.test(a)),
          );
    if (file !== undefined)
      throw new UsageError(
        `${escapeControls(file)} is read as flags, since it begins with '-'; to name the file, write ./${escapeControls(file)}`,
      );
    const near = unknown === undefined ? null : nearest(unknown, Object.keys(options).map(flagOf));
    if (near !== null) throw new UsageError(`unknown option '${unknown}'; did you mean ${near}?`);
    // Node's words, begun in lower case as every other error of the commands is.
    const said = message.replace(/\. To specify a positional.*$/, '');
    throw new UsageError(`${said.charAt(0).toLowerCase()}${said.slice(1)}; ${help}`);
  }
}

/**
 * A flag that holds one value, given twice (`--seed 1 --seed 2`): parseArgs keeps the last and
 * says nothing, so the run would not be the one the user may have meant. A flag that repeats
 * (--knob) and a switch (--quiet twice is still --quiet) are not refused.
 */
export function refuseRepeated(
  tokens: readonly { kind: string; name?: string; value?: string | undefined }[],
  options: NonNullable<ParseArgsConfig['options']>,
): void {
  const seen = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const option = options[token.name];
    if (option === undefined || option.type !== 'string' || option.multiple === true) continue;
    const value = escapeControls(token.value ?? '');
    const before = seen.get(token.name);
    if (before === undefined) {
      seen.set(token.name, value);
      continue;
    }
    const repeatable = Object.keys(options).filter((n) => options[n]!.multiple === true);
    const which =
      repeatable.length === 0 ? '' : ` (only ${repeatable.map(flagOf).join(', ')} may repeat)`;
    throw new UsageError(
      `${flagOf(token.name)} is given twice ('${before}', then '${value}'); give it once${which}`,
    );
  }
}

/** `seed` -> `--seed`; a one-letter name -> `-h`. */
const flagOf = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/**
 * The flags of a command that takes no file: null once `--help` has printed the help, with
 * `details` under it when there are (the command then exits 0); a stray argument is refused in one
 * line, with `hint` when there is one.
 */
export function filelessFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: readonly string[],
  options: T,
  help: string,
  hint = '',
  details: readonly string[] = [],
): ReturnType<typeof parseFlags<T>>['values'] | null {
  const { values, positionals } = parseFlags(argv, options, help);
  if ((values as { help?: unknown }).help === true) {
    printHelp(help, details);
    return null;
  }
  if (positionals.length > 0)
    throw new UsageError(`${command} takes no file (got '${positionals[0]}')${hint}; ${help}`);
  return values;
}

/** `--help`: the usage line, then what each flag means, its unit and its default. */
export function printHelp(help: string, details: readonly string[] = []): void {
  process.stdout.write(`${[...foldUsage(help), ...details].join('\n')}\n`);
}

/** The width --help keeps to: a terminal's 100 columns, as the README's blocks. */
const HELP_WIDTH = 100;

/**
 * The usage line (one line, as an error message quotes it) folded for --help: a break only before
 * a `[` or a `|`, each further line lined up under the first argument, as the README shows it.
 */
export function foldUsage(usage: string, width = HELP_WIDTH): string[] {
  const indent = ' '.repeat((/^usage: npm run \S+ -- /.exec(usage)?.[0] ?? '').length);
  const lines: string[] = [];
  for (const word of usage.split(/ (?=[[|])/)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(last < 0 ? word : `${indent}${word}`);
  }
  return lines;
}

/** The same range a scenario's own seed has, so that every printed replay command is accepted. */
export function parseSeed(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) > MAX_SEED)
    throw new UsageError(`--seed must be a whole number from 0 to ${MAX_SEED} (got '${raw}')`);
  return Number(raw);
}

/**
 * `text` after `first`, wrapped to the terminal (100 columns when piped) under its own start, as
 * sim's summary is: a checker's sentence runs long (explore's and verify's lines).
 */
export function fitted(
  text: string,
  first = '',
  paint: (line: string) => string = (l) => l,
): string[] {
  return hanging(first, text, parseWidth(undefined), first.length).map((line) => paint(line));
}

/** `--width N`, else the terminal's width, else 100 (output to a file or a pipe). */
export function parseWidth(raw: string | undefined): number {
  if (raw === undefined) {
    const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
    return Math.max(MIN_WIDTH, columns ?? 100);
  }
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < MIN_WIDTH) {
    throw new UsageError(
      `--width must be a whole number of columns from ${MIN_WIDTH} to 9999 (got '${raw}')`,
    );
  }
  return Number(raw);
}

/** `--knob name=value` flags into a record; the values are checked against the store's knobs later. */
export function parseKnobFlags(flags: readonly string[] | undefined): Record<string, string> {
  // No prototype: a knob named __proto__ becomes a field of its own, refused as an unknown knob.
  const knobs: Record<string, string> = Object.create(null);
  for (const flag of flags ?? []) {
    const eq = flag.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--knob takes name=value, e.g. --knob followerApply=overwrite (got '${flag}')`,
      );
    const name = flag.slice(0, eq);
    const value = flag.slice(eq + 1);
    // Kept silently, the last would win and the run would not be the one the user may have meant.
    if (Object.hasOwn(knobs, name))
      throw new UsageError(
        `--knob ${escapeControls(name)} is given twice ('${escapeControls(knobs[name]!)}', then '${escapeControls(value)}'); give each knob once`,
      );
    knobs[name] = value;
  }
  return knobs;
}

/** `-` and /dev/stdin: what is read comes from stdin, and cannot be read again. */
export function fromStdin(path: string): boolean {
  return path === '-' || path === '/dev/stdin';
}

/**
 * A file a command reads, `-` (or /dev/stdin) meaning stdin, read where it is (opened again by
 * name, a socket, which a spawning program often gives, cannot be). Opened without blocking, so
 * that a named pipe no one writes to yet does not hold the command before it can say so: read it
 * with readAtMost(fd, max, { fifo }). Throws what open throws.
 */
export function openInput(path: string): { fd: number; fifo: boolean; close: () => void } {
  const fd = fromStdin(path) ? 0 : openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let fifo: boolean;
  try {
    // Stdin's writer was there when the shell started the command: an end of file is the end
    // (`true | npm run view -- -` waited for ever), as it is not on a named pipe opened here.
    fifo = fd !== 0 && fstatSync(fd).isFIFO();
  } catch (error) {
    if (fd !== 0) closeSync(fd);
    throw error;
  }
  return { fd, fifo, close: () => (fd === 0 ? undefined : closeSync(fd)) };
}

/** The note a command gives while it waits on a pipe that nothing has written to yet. */
export function waitingFor(what: string, path: string): () => void {
  return () =>
    process.stderr.write(
      `waiting for ${what} to be written into '${escapeControls(path)}', a pipe (Ctrl-C to stop)\n`,
    );
}

/** Sleeps the thread for `ms` (a read that would block, waiting on a pipe's writer). */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** How often a pipe is tried again while its other end is not there yet, and when it is said. */
const PIPE_POLL_MS = 20;
const PIPE_NOTE_AFTER_MS = 1000;

/**
 * Tries `attempt` until it gives an answer (not undefined), every 20 ms: a named pipe opened or
 * read without blocking, while its other end has not come. `waiting` is called once, when a
 * second has gone by, to say what the command waits for.
 */
export function waitOnPipe<T>(attempt: () => T | undefined, waiting?: () => void): T {
  for (let waited = 0; ; waited += PIPE_POLL_MS) {
    const answer = attempt();
    if (answer !== undefined) return answer;
    if (waited === PIPE_NOTE_AFTER_MS) waiting?.();
    pause(PIPE_POLL_MS);
  }
}

/** What `first` sees of a file: enough to hold a kvsim page's head, which names it. */
const OPENING_CHARS = 4096;

/** How readAtMost treats what it reads. */
export interface ReadOptions {
  /** Sees the first chunk's opening characters (up to OPENING_CHARS), and may refuse them. */
  readonly first?: (opening: string) => void;
  /**
   * The fd is a named pipe opened without blocking: until something is written, an end of file
   * only means that no writer has opened it yet, and is waited past.
   */
  readonly fifo?: boolean;
  /** Called once when nothing has come within a second (to say what is being waited for). */
  readonly waiting?: () => void;
}

/**
 * The text of an open file (or of stdin, fd 0), read a megabyte at a time: null once it holds more
 * than `maxBytes`, so that a device such as /dev/zero is not read for ever. A pipe opened without
 * blocking is waited on while its writer has not written.
 */
export function readAtMost(fd: number, maxBytes: number, options: ReadOptions = {}): string | null {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(1 << 20);
    // Nothing to read yet (EAGAIN), or a named pipe's end of file before its writer came.
    const n = waitOnPipe(
      () => {
        try {
          const read = readSync(fd, chunk, 0, chunk.length, null);
          return read === 0 && total === 0 && options.fifo === true ? undefined : read;
        } catch (error) {
          if ((error as { code?: string }).code !== 'EAGAIN') throw error;
          return undefined;
        }
      },
      total === 0 ? options.waiting : undefined,
    );
    if (n === 0) return Buffer.concat(chunks, total).toString('utf8');
    if (total === 0) options.first?.(chunk.toString('utf8', 0, Math.min(n, OPENING_CHARS)));
    total += n;
    if (total > maxBytes) return null;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
  }
}

/**
 * A reader that stops early (`| head`) closes the pipe: the rest of the output has nowhere to go,
 * which is not an error worth a word. The command still finishes (its files are written).
 */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}

/**
 * `npm run` starts a command in the repository's folder, wherever in it it was typed; the folder it
 * was typed in is INIT_CWD. Paths on the command line mean that folder (`cd scenarios`, then
 * `npm run sim -- stale-read.ts`), so the command starts there. Only for the script npm ran (a
 * command a test starts under `npm test` keeps its own folder), and only inside the repository,
 * where worker threads still find tsx.
 */
function startWhereTyped(): void {
  const typed = process.env.INIT_CWD;
  if (typed === undefined || !startedByNpmRun()) return;
  const inside = relative(process.cwd(), typed);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return;
  try {
    process.chdir(typed);
  } catch {
    // A folder gone since: paths are read from the repository's, as before.
  }
}

/**
 * For a path that is not where the command looks: the same path from the folder it was typed in,
 * when npm ran the command from outside the repository (npm --prefix …) and it is there. Paths are
 * then read from the repository's folder (see startWhereTyped), which the user may not expect.
 */
export function typedElsewhere(path: string): string | null {
  const typed = process.env.INIT_CWD;
  if (typed === undefined || isAbsolute(path) || resolve(typed) === process.cwd()) return null;
  const there = resolve(typed, path);
  return existsSync(there) ? there : null;
}

/**
 * A path the command wrote, as the user can use it where they typed the command: relative to the
 * folder the command runs in, but whole when npm ran it from outside the repository (npm --prefix
 * …), where a path relative to the repository's folder would name a file that is not there.
 */
export function shownPath(path: string): string {
  const typed = process.env.INIT_CWD;
  const outside = typed !== undefined && startedByNpmRun() && resolve(typed) !== process.cwd();
  const r = relative(process.cwd(), path);
  return outside || r.startsWith('..') || isAbsolute(r) ? resolve(path) : r;
}

/**
 * A path the command wrote, to be typed in a command (`replay: npm run sim -- …`): as shownPath
 * gives it, quoted for a shell when needed, a control character in its name shown escaped.
 */
export function typedPath(path: string): string {
  return shellWord(displayText(shownPath(path)));
}

/**
 * One more turn of the event loop, in which a signal that came during the command's last
 * synchronous stretch (Ctrl-C while a file was written) is handled: without it the command would
 * end with the run's own status, as if it had not been interrupted, rather than as the signal
 * ends it (130 for Ctrl-C, in a shell).
 */
async function signalsHeard(): Promise<void> {
  // Two: the first turn's check phase may come before the poll that reads the signal.
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Runs a command's main function, turning errors into the right exit status. */
export async function main(run: () => Promise<number>): Promise<void> {
  quietOnClosedPipe();
  startWhereTyped();
  try {
    const status = await run();
    await signalsHeard();
    process.exitCode = status;
    // `npm run sim x.ts --json=out.json` runs, without the file (see parseFlags): say so, after
    // the run's own output.
    if (takenByNpm.length > 0)
      process.stderr.write(`warning: ${npmTook('and this run went without')}\n`);
  } catch (error) {
    await signalsHeard();
    // A message may quote a scenario's or a trace's text: no control character reaches stderr.
    if (error instanceof UsageError) {
      // A mistake that follows from flags npm kept is that one: the rest is what was left over.
      const message =
        takenByNpm.length === 0 || error.message.startsWith('npm took ')
          ? error.message
          : npmTook(`which left '${error.message.split('; usage:')[0]}'`);
      process.stderr.write(`error: ${escapeControls(message)}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`internal error: ${text.split('\n').map(escapeControls).join('\n')}\n`);
    process.exitCode = EXIT.failed;
  }
}
