// `npm run view -- <trace.json> [--width N] [--html out.html]`: shows a trace saved by
// `npm run sim -- … --json` as the terminal's diagram, and writes the HTML page when asked: the
// same page `--html` would have written for that run. A trace may come from anyone: it is checked
// field by field before anything is drawn, every text from it is shown escaped, and its hash and
// replay command only as far as view can vouch for them (vouch.ts).

import { isatty } from 'node:tty';
import { labPage } from '../lab/bundle.ts';
import { paletteFor } from '../render/colors.ts';
import { renderDiagram, wrapText } from '../render/diagram.ts';
import { renderHtml } from '../render/html.ts';
import { parseTraceDocument, type TraceDocument, TraceFormatError } from '../render/json.ts';
import { displayText, escapeControls, shellWord } from '../render/safe-text.ts';
import { field, replayField } from '../render/summary.ts';
import { ScenarioError, validateScenario } from '../scenario.ts';
import { ownKindOf, planOutputs, writeWhole } from './output.ts';
import {
  EXIT,
  main,
  openInput,
  parseFlags,
  parseWidth,
  printHelp,
  readAtMost,
  typedElsewhere,
  UsageError,
  waitingFor,
} from './usage.ts';
import { NO_REPLAY, type Vouched, vouchFor } from './vouch.ts';

const HELP = 'usage: npm run view -- <trace.json | -> [--width N] [--html out.html]';

/** What `--help` says under the usage line: each flag's meaning, unit and default. */
const DETAILS = [
  '',
  'Draws a saved trace (npm run sim -- … --json run.json) as sim does. - (or /dev/stdin) reads it',
  'from a pipe; a named pipe is waited on until a trace is written into it. The hash shown is the',
  'one its events hash to (events edited after it was written get a warning, and so does a hash an',
  'earlier kvsim wrote; its verdicts, history and state digests are outside the hash and shown as',
  "the trace states them), and the replay command one view builds again from the trace's scenario,",
  'seed, preset, knobs and what-ifs.',
  '',
  '  --width N                columns to fit (default the terminal, or 100 when piped)',
  '  --html out.html          writes the page sim --html would have, lab included (a live run',
  '                           has no scenario to rerun: its page has no lab; nor has one whose',
  '                           scenario sim would refuse, with a warning saying why)',
];

const OPTIONS = {
  html: { type: 'string' },
  width: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * The largest trace view reads, in bytes: a JavaScript string holds about 512 MiB at most, and
 * a device such as /dev/zero would otherwise be read for ever.
 */
const MAX_TRACE_BYTES = 500 * 1024 * 1024;

/**
 * The longest replay command view prints: the longest sim writes is what its user typed (200
 * what-if edits make about 5,000 characters); a trace edited by hand may hold megabytes there.
 */
const REPLAY_SHOWN = 100_000;

/**
 * The trace's file opened for reading, `-` meaning stdin. Opened without blocking, so that a named
 * pipe no one writes to yet does not hold the command before it can say so; the terminal is
 * refused, since a trace is not typed.
 */
function openTrace(path: string): ReturnType<typeof openInput> {
  let input: ReturnType<typeof openInput>;
  try {
    input = openInput(path);
  } catch (error) {
    // Only a missing file is mended by saving a run there; any other failure is named as it is.
    if ((error as { code?: string }).code !== 'ENOENT')
      throw new UsageError(`cannot read '${path}': ${(error as Error).message}`);
    const there = typedElsewhere(path);
    if (there !== null)
      throw new UsageError(
        `cannot read '${path}' in ${process.cwd()}, where npm runs the command when started from outside it: write the whole path, ${shellWord(there)}`,
      );
    throw new UsageError(
      `cannot read '${path}': there is no such file; save a run with: npm run sim -- <scenario.ts> --json ${shellWord(path)}`,
    );
  }
  if (isatty(input.fd)) {
    input.close();
    throw new UsageError(
      `'${path}' is the terminal, and a trace is not typed: pipe one in (npm run view -- - < run.json) or name a trace file`,
    );
  }
  return input;
}

function readTrace(path: string): string {
  if (path.trim() === '')
    throw new UsageError(
      `the trace file's name is empty ('${path}'); name one, e.g. npm run view -- run.json`,
    );
  const { fd, fifo, close } = openTrace(path);
  try {
    const text = readAtMost(fd, MAX_TRACE_BYTES, {
      fifo,
      first: (opening) => {
        if (/^\s*(\{|$)/.test(opening)) return;
        if (ownKindOf(opening) === 'page')
          throw new UsageError(
            `'${path}' is a kvsim page (--html), not a trace: open it in a browser; view draws a trace saved with --json, e.g. npm run sim -- <scenario.ts> --json run.json`,
          );
        const scenario = /\.[cm]?[jt]s$/.test(path)
          ? `; a scenario runs with: npm run sim -- ${shellWord(path)}`
          : '';
        throw new UsageError(
          `'${path}' is not a kvsim trace: a trace is a JSON object, and this does not begin with '{'${scenario}`,
        );
      },
      // A pipe whose writer has not written (or not opened it) yet: silence would look like a hang.
      waiting: waitingFor('a trace', path),
    });
    if (text === null)
      throw new UsageError(
        `'${path}' holds more than ${MAX_TRACE_BYTES / 1024 / 1024} MB, more than view can draw; save a shorter run (npm run sim -- <scenario.ts> --max-events N --json out.json)`,
      );
    if (text.trim() === '')
      throw new UsageError(
        `'${path}' is empty; a trace is what npm run sim -- <scenario.ts> --json <file> writes`,
      );
    return text;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as { code?: string }).code === 'EISDIR')
      throw new UsageError(`'${path}' is a folder; name a trace file saved with --json`);
    throw new UsageError(`cannot read '${path}': ${(error as Error).message}`);
  } finally {
    close();
  }
}

/**
 * Why the page is written without its lab although the trace holds a scenario: the lab reruns
 * `scenario.definition` as sim would, so it is checked as sim checks a scenario file; null when it
 * passes or there is none (a live run's page has no lab, and says nothing of it).
 */
function whyNoLab(doc: TraceDocument): string | null {
  if (doc.scenario.definition === undefined) return null;
  try {
    validateScenario(doc.scenario.definition);
    return null;
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return `the trace's scenario.definition is not a scenario kvsim can run (${error.message}), so the page is written without its lab; npm run sim -- <scenario.ts> --html writes one with it`;
  }
}

async function view(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, HELP);
  if (values.help) {
    printHelp(HELP, DETAILS);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`name one trace file; ${HELP}`);
  const tracePath = positionals[0]!;
  const width = parseWidth(values.width);
  // Before the trace is read: the page must never land on the trace, nor anywhere unwritable.
  const [page] = planOutputs(
    [{ what: 'the trace being read', path: tracePath }],
    values.html === undefined
      ? []
      : [{ flag: '--html', path: values.html, example: 'run.html', kind: 'page' }],
  );
  let doc: TraceDocument;
  let vouched: Vouched;
  try {
    doc = parseTraceDocument(readTrace(tracePath));
    // The trace's own hash and replay line are claims anyone can write: what is shown is the
    // hash of its events and a command built again from what was checked, on both views.
    vouched = vouchFor(doc);
  } catch (error) {
    if (error instanceof TraceFormatError) {
      throw new UsageError(`'${tracePath}' is not a kvsim trace: ${error.message}`);
    }
    throw error;
  }
  const shown: TraceDocument = {
    ...doc,
    replay: vouched.replay,
    run: { ...doc.run, hash: vouched.hash },
  };
  const c = paletteFor(process.stdout, process.env);
  const title = wrapText(`${doc.scenario.file} — ${doc.scenario.goal}`, width, 2);
  const out = [...title.map((line) => c.bold(line)), ''];
  for (const line of renderDiagram(c, shown, { width })) out.push(line);
  out.push('', `  trace hash ${vouched.hash}`);
  // A trace that holds its scenario gets the lab, as the page `sim --html` wrote, if sim could
  // run that scenario: the lab reruns it in the browser, and one it cannot run leaves it out.
  const labLeftOut = page === undefined ? null : whyNoLab(doc);
  const warnings = [vouched.warning, labLeftOut].filter((w): w is string => w !== null);
  for (const warning of warnings)
    for (const line of field('warning', warning, width)) out.push(c.yellow(line));
  // Fitted to the width as sim's summary fits it, still pasting into a shell as one command; a
  // live run's line, a command and why it does not replay, wraps as text, and so does `none:`
  // and why, laid out as no command even where it quotes the trace.
  // A command is shown whole or not at all: cut, it would no longer run. One too long to show (a
  // trace may say anything there) is said to be in the trace.
  const long = vouched.replay.length > REPLAY_SHOWN;
  const replay = long
    ? `a command of ${vouched.replay.length.toLocaleString('en')} characters, longer than view shows; the trace's "replay" field holds it`
    : escapeControls(vouched.replay);
  const lines =
    long || vouched.replay.startsWith(NO_REPLAY)
      ? field('replay', replay, width)
      : replayField(replay, width);
  for (const line of lines) out.push(line);
  if (page !== undefined) {
    const lab =
      doc.scenario.definition === undefined || labLeftOut !== null ? undefined : labPage();
    writeWhole(page, renderHtml(shown, { warnings }, lab));
    for (const line of field('page', displayText(page.path), width)) out.push(line);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}

await main(() => view(process.argv.slice(2)));
