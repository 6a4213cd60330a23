// `npm run verify -- <scenario.ts> [--preset P] [--knob k=v ...] [--max-drops N] [--max-duplicates N]
// [--max-delays N] [--max-crashes N] [--max-client-crashes N] [--max-down-for-good N] [--informative]
// [--depth D] [--max-states N] [--max-seconds S]`: every schedule of the scenario's configuration,
// breadth-first. It proves the configuration correct within its bounds, or writes the shortest
// counterexample as a scenario and prints the command that replays it. Informative findings are
// listed beside the verdict, or, with --informative, stop the search as a violation does.

import { basename } from 'node:path';
import { brokenGuarantees, findings, type Verdict } from '../check/index.ts';
import { caseBaseName, expectedSentences, LABEL_WIDTH, labelled } from '../explore/case.ts';
import { paletteFor } from '../render/colors.ts';
import { counted, formatSpan } from '../render/format.ts';
import { displayText, escapeControls, shellWord } from '../render/safe-text.ts';
import { guaranteeNames } from '../render/summary.ts';
import { judgeVerdicts, runScenario, ScenarioError, type ScenarioRun } from '../scenario.ts';
import {
  DEFAULT_SEARCH_BOUNDS,
  type Finding,
  type Found,
  type Progress,
  type SearchOptions,
  type SearchResult,
  searchSteps,
} from '../verify/search.ts';
import { type Setup, setupOf } from '../verify/setup.ts';
import { onlyFindings, scheduleToScenario, tellSchedule, writeStory } from '../verify/story.ts';
import { movesTo } from '../verify/world.ts';
import { loadScenario } from './load.ts';
import { caseFolder } from './output.ts';
import {
  EXIT,
  fitted,
  fromStdin,
  main,
  onStopSignal,
  parseFlags,
  parseKnobFlags,
  printHelp,
  STOPPING,
  type StopSignal,
  typedPath,
  UsageError,
} from './usage.ts';

const HELP =
  'usage: npm run verify -- <scenario.ts> [--preset seed|fixed] [--knob name=value ...] [--max-drops N] [--max-duplicates N] [--max-delays N] [--max-crashes N] [--max-client-crashes N] [--max-down-for-good N] [--informative] [--depth D] [--max-states N] [--max-seconds S] [--out DIR]';

/** What `--help` says under the usage line: each flag's meaning, unit and default. */
const DETAILS = [
  '',
  "Tries every order of the scenario's operations and messages, and the faults the budgets allow,",
  'breadth-first, and writes the shortest schedule that breaks a guarantee as a case npm run sim',
  'replays.',
  '',
  "  --preset seed|fixed        the student's choices or the corrected ones (default the",
  "                             scenario's own, else fixed)",
  '  --knob name=value          flips one knob; repeat it for more',
  '  --max-drops N              lost messages, at most (default 0, up to 10)',
  '  --max-duplicates N         messages delivered twice, at most (default 0, up to 10)',
  '  --max-delays N             slow messages, which a timer may fire before (default 0, up to 10)',
  '  --max-crashes N            server crashes and restarts, at most (default 0, up to 10)',
  '  --max-client-crashes N     client crashes, at most (default 0, up to 10)',
  '  --max-down-for-good N      followers that crash and stay down, at most (default 0, up to 10)',
  '  --informative              stops at an informative finding too, and writes it as a case',
  `  --depth D                  moves in a schedule, at most (default ${DEFAULT_SEARCH_BOUNDS.maxDepth})`,
  `  --max-states N             distinct states to explore, at most (default ${DEFAULT_SEARCH_BOUNDS.maxStates.toLocaleString('en')})`,
  `  --max-seconds S            CPU seconds the search may take (default ${DEFAULT_SEARCH_BOUNDS.maxCpuMs / 1000})`,
  '  --out DIR                  the folder the case is written into (default cases)',
];

const OPTIONS = {
  preset: { type: 'string' },
  knob: { type: 'string', multiple: true },
  'max-drops': { type: 'string' },
  'max-duplicates': { type: 'string' },
  'max-delays': { type: 'string' },
  'max-crashes': { type: 'string' },
  'max-client-crashes': { type: 'string' },
  'max-down-for-good': { type: 'string' },
  informative: { type: 'boolean' },
  depth: { type: 'string' },
  'max-states': { type: 'string' },
  'max-seconds': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A flag's whole number from `min` to `max`; the refusal names the same range the flag takes. */
function count(
  raw: string | undefined,
  flag: string,
  fallback: number,
  max: number,
  min = 0,
): number {
  if (raw === undefined) return fallback;
  const n = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got '${raw}')`);
  return n;
}

function positive(raw: string | undefined, flag: string, fallback: number, max: number): number {
  return count(raw, flag, fallback, max, 1);
}

function rate(p: Progress): number {
  return p.cpuMs > 0 ? Math.round((p.distinct * 1000) / p.cpuMs) : 0;
}

/** What the search has met: distinct states, the start among them, and the moves that found them. */
function reached(p: Progress): string {
  return `${counted(p.distinct, 'distinct state')} (the start and ${p.distinct - 1} new ${p.distinct === 2 ? 'one' : 'ones'} found by ${counted(p.states, 'move')})`;
}

function figures(p: Progress): string {
  return `moves ${p.states}  distinct states ${p.distinct}  depth ${p.depth}  ${rate(p)} distinct states/s (CPU)`;
}

/**
 * Said once, early, when the search plainly cannot finish: no schedule is complete yet, each move
 * at least doubles the new states (the first: at least two), and two more depths at that pace pass
 * --max-states; without it,
 * a search too wide to finish says nothing until a bound stops it, minutes later.
 */
function wideningWarning(p: Progress, maxStates: number): string | null {
  const done = p.levels.length - 1;
  if (p.complete > 0 || done < 1) return null;
  const last = p.levels[done - 1]!;
  // After the first depth, against the one world it started from: a configuration so wide that
  // its second depth alone takes minutes is told so then.
  const before = done === 1 ? 1 : p.levels[done - 2]!;
  if (before === 0 || last < 2 * before) return null;
  const factor = last / before;
  if (p.distinct + last * factor * (1 + factor) <= maxStates) return null;
  return `warning: the search widens about ×${Math.round(factor)} a move (${last} new states at depth ${done}) and no schedule is complete yet: it will likely stop at a bound (--max-states ${maxStates}, memory or time) before one is, proving nothing past the depth it reaches; take operations or nodes out, or search random schedules with npm run explore`;
}

function progress(stream: NodeJS.WriteStream, maxStates: number): (p: Progress) => void {
  let last = -Infinity;
  let warned = false;
  return (p) => {
    const warning = warned ? null : wideningWarning(p, maxStates);
    if (warning !== null) {
      warned = true;
      stream.write(`${stream.isTTY ? `\r${''.padEnd(78)}\r` : ''}${warning}\n`);
    }
    if (p.cpuMs - last < (stream.isTTY ? 200 : 2_000)) return;
    last = p.cpuMs;
    stream.write(stream.isTTY ? `\r${figures(p).padEnd(78)}` : `${figures(p)}\n`);
  };
}

/**
 * The search, run a stretch at a time so that Ctrl-C is heard between two (a search is one long
 * synchronous loop otherwise, and the signal would end the command without a word): then the
 * figures it had reached.
 */
async function searchUntilInterrupted(
  setup: Setup,
  options: SearchOptions,
): Promise<
  SearchResult | (Progress & Found & { readonly kind: 'interrupted'; readonly signal: StopSignal })
> {
  let interrupted: StopSignal | null = null;
  const off = onStopSignal((signal) => {
    interrupted = signal;
  });
  try {
    const steps = searchSteps(setup, options);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      options.onProgress?.(step.value);
      await new Promise((resolve) => setImmediate(resolve));
      if (interrupted !== null) return { ...step.value, kind: 'interrupted', signal: interrupted };
    }
  } finally {
    off();
  }
}

/**
 * The faults the budgets allow, those at 0 left out: a row of zeros read as something missing.
 * With none, the flags that allow some are named.
 */
function faultsText(b: Setup['budgets']): string {
  const allowed = [
    counted(b.drops, 'drop'),
    counted(b.duplicates, 'duplicate'),
    counted(b.delays, 'slow message'),
    counted(b.crashes, 'server crash', 'server crashes'),
    counted(b.clientCrashes, 'client crash', 'client crashes'),
    `${counted(b.downForGood, 'follower', 'followers')} down for good`,
  ].filter((text) => !text.startsWith('0 '));
  return allowed.length === 0
    ? 'no faults: every order of the messages and operations (--max-drops N, --max-crashes N, … allow some)'
    : `at most ${allowed.join(', ')}; no other faults`;
}

function describe(setup: Setup, file: string): string {
  const ops = setup.clients.reduce((n, c) => n + c.ops.length, 0);
  const b = setup.budgets;
  const knobs = Object.entries(setup.overrides)
    .map(([k, v]) => `, ${k}=${v}`)
    .join('');
  return [
    ...fitted(
      `verify ${displayText(file)}: ${setup.store.name} store, preset ${setup.preset}${knobs}`,
    ),
    ...fitted(
      `${counted(setup.servers.length, 'server')} × ${counted(setup.clients.length, 'client')}, ${counted(ops, 'operation')}; ${faultsText(b)}`,
      '  ',
    ),
  ].join('\n');
}

/**
 * The budget flags, still at 0, that let verify try the kinds of fault the scenario's own steps
 * make (a client's crash: --max-client-crashes 1, …): the steps themselves are not replayed.
 */
function budgetsFor(setup: Setup): string[] {
  const clients = new Set<string>(setup.topology.clients);
  const b = setup.budgets;
  const wanted = new Set<string>();
  const steps = setup.scenario.steps;
  // A follower the script crashes and never restarts is down for good, as verify's own budget has it.
  // Steps run in time order, ties in script order: a restart after it there brings it back.
  const forGood = (node: string, i: number) =>
    setup.store.name === 'replicated' &&
    node !== setup.topology.leader &&
    !steps.some(
      (s, j) =>
        'restart' in s &&
        s.restart === node &&
        (s.at > steps[i]!.at || (s.at === steps[i]!.at && j > i)),
    );
  for (const [i, step] of steps.entries()) {
    if ('crash' in step)
      wanted.add(
        clients.has(step.crash)
          ? 'clientCrashes'
          : forGood(step.crash, i)
            ? 'downForGood'
            : 'crashes',
      );
    else if ('drop' in step || 'partition' in step || 'cut' in step) wanted.add('drops');
    else if ('duplicate' in step) wanted.add('duplicates');
    else if ('delay' in step || 'hold' in step) wanted.add('delays');
  }
  const flags: [keyof typeof b, string][] = [
    ['crashes', '--max-crashes 1'],
    ['clientCrashes', '--max-client-crashes 1'],
    ['downForGood', '--max-down-for-good 1'],
    ['drops', '--max-drops 1'],
    ['duplicates', '--max-duplicates 1'],
    ['delays', '--max-delays 1'],
  ];
  return flags.filter(([k]) => wanted.has(k) && b[k] === 0).map(([, flag]) => flag);
}

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, HELP);
  if (values.help) {
    printHelp(HELP, DETAILS);
    return EXIT.ok;
  }
  if (positionals.length === 0)
    throw new UsageError(
      'name the scenario file to verify, e.g. npm run verify -- scenarios/verify/two-readers.ts (npm run verify -- --help lists the flags)',
    );
  if (positionals.length > 1)
    throw new UsageError(
      `name one scenario file (got ${positionals.length}: ${positionals.map((p) => `'${p}'`).join(', ')}); verify takes one at a time`,
    );
  const file = positionals[0]!;
  const budgets = {
    drops: count(values['max-drops'], '--max-drops', 0, 10),
    duplicates: count(values['max-duplicates'], '--max-duplicates', 0, 10),
    delays: count(values['max-delays'], '--max-delays', 0, 10),
    crashes: count(values['max-crashes'], '--max-crashes', 0, 10),
    clientCrashes: count(values['max-client-crashes'], '--max-client-crashes', 0, 10),
    downForGood: count(values['max-down-for-good'], '--max-down-for-good', 0, 10),
  };
  const bounds = {
    maxDepth: positive(values.depth, '--depth', DEFAULT_SEARCH_BOUNDS.maxDepth, 100_000),
    maxStates: positive(
      values['max-states'],
      '--max-states',
      DEFAULT_SEARCH_BOUNDS.maxStates,
      1_000_000_000,
    ),
    maxCpuMs:
      positive(values['max-seconds'], '--max-seconds', DEFAULT_SEARCH_BOUNDS.maxCpuMs / 1000, 1e7) *
      1000,
  };
  // Before the search: a counterexample found must have somewhere to go.
  const folder = caseFolder(values.out);
  const scenario = await loadScenario(file);
  let setup: Setup;
  try {
    setup = setupOf(scenario, {
      preset: values.preset,
      knobs: parseKnobFlags(values.knob),
      budgets,
    });
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message);
    throw error;
  }
  if (budgets.downForGood > 0 && setup.store.name === 'lock')
    throw new UsageError(
      `--max-down-for-good crashes a follower of the replicated store for good, and ${file} is of the lock store, whose one server has none; drop the flag (--max-crashes N crashes and restarts it)`,
    );
  if (budgets.downForGood > 0 && setup.servers.length < 2)
    throw new UsageError(
      `--max-down-for-good needs a follower to crash for good, and ${file} has one server; drop the flag or add servers`,
    );
  // Said back as "at most N followers down for good": no more than the scenario has.
  const followers = setup.servers.length - 1;
  if (budgets.downForGood > followers)
    throw new UsageError(
      `--max-down-for-good ${budgets.downForGood}: ${file} has ${counted(followers, 'follower', 'followers')}, so at most ${followers} can be down for good; give ${followers} or fewer, or add servers`,
    );
  process.stdout.write(`${describe(setup, file)}\n`);
  if (setup.ignoredSteps > 0) {
    const flags = budgetsFor(setup);
    const hint =
      flags.length === 0 ? '' : `; with no budget it tries none: give ${flags.join(', ')}`;
    process.stdout.write(
      `${fitted(`(${setup.ignoredSteps === 1 ? "the scenario's 1 fault step is" : `the scenario's ${setup.ignoredSteps} fault steps are`} not used: verify tries crashes, drops, duplicates and delays itself, within the budgets above${hint})`, '  ').join('\n')}\n`,
    );
  }
  const result = await searchUntilInterrupted(setup, {
    bounds,
    onProgress: progress(process.stderr, bounds.maxStates),
    informative: values.informative === true,
  });
  if (process.stderr.isTTY) process.stderr.write(`\r${''.padEnd(78)}\r`);
  if (result.kind === 'interrupted') {
    const found = result.findings.map((f) => f.guarantee);
    const findings =
      found.length === 0 ? '' : `; informative findings so far: ${guaranteeNames(found)}`;
    process.stdout.write(
      `interrupted: ${reached(result)}, depth ${counted(result.depth, 'move')} reached, ${counted(result.complete, 'complete schedule')}, no violation so far, in ${formatSpan(Math.round(result.cpuMs))} of CPU${findings}\n`,
    );
    return STOPPING[result.signal];
  }
  return report(setup, file, result, folder);
}

function report(setup: Setup, file: string, result: SearchResult, folder: string): number {
  const c = paletteFor(process.stdout, process.env);
  const out: string[] = [];
  const summary = `${reached(result)}, depth ${counted(result.depth, 'move')}, ${counted(result.complete, 'complete schedule')}; ${formatSpan(Math.round(result.cpuMs))} of CPU, ${rate(result)} distinct states/s`;
  if (result.kind === 'verified') {
    out.push(
      c.green(
        'every schedule of this configuration keeps every guarantee (within the budgets above)',
      ),
      ...fitted(summary, '  '),
      ...listFindings(result.findings, c),
    );
    process.stdout.write(`${out.join('\n')}\n`);
    return EXIT.ok;
  }
  if (result.kind === 'unfinished') {
    const why = {
      states: 'the bound on distinct states (--max-states)',
      depth: 'the bound on moves (--depth)',
      time: 'the CPU time bound (--max-seconds)',
      memory:
        'the memory bound, most of the JavaScript heap (NODE_OPTIONS=--max-old-space-size=<MB> raises it; --max-states N stops sooner)',
    }[result.bound];
    out.push(
      ...fitted(
        `not finished at depth ${counted(result.depth, 'move')}: stopped by ${why}`,
        '',
        c.yellow,
      ),
      ...fitted(summary, '  '),
      ...listFindings(result.findings, c),
    );
    process.stdout.write(`${out.join('\n')}\n`);
    return EXIT.failed;
  }
  const moves = movesTo(result.world);
  // The names say which are informative: `linearizability (informative)`.
  const broken = guaranteeNames(result.broken);
  // Stopped at an informative finding alone (--informative): told as sim tells one, a finding.
  const finding = onlyFindings(setup, result.broken);
  const [what, done, headline] = finding
    ? ['finding', 'shown', c.yellow.bold]
    : ['violation', 'broken', c.red.bold];
  out.push(
    headline(
      `${what}: ${broken} ${done} by a schedule of ${moves.length} moves (breadth-first: none is shorter)`,
    ),
  );
  for (const v of result.verdicts) {
    if (!result.broken.includes(v.guarantee)) continue;
    const [mark, paint] = v.informative ? ['ℹ', c.yellow] : ['✗', c.red];
    for (const w of v.violations.slice(0, 2))
      out.push(...fitted(w.sentence, `  ${mark} ${guaranteeNames([v.guarantee])}: `, paint));
  }
  out.push('', c.bold('The schedule'), ...tellSchedule(setup, moves).map((l) => `  ${l}`), '');
  // The story holds the schedule's operations alone: cut where verify stopped, its run may settle
  // there and be judged as a whole (convergence, liveness), breaking more than verify had judged
  // yet. The case then expects those too, and says why.
  const replay = runScenario(
    scheduleToScenario(setup, moves, result.broken, result.completeSchedule),
    { trace: false },
  );
  const replayBroken = replay.verdicts.filter((v) => v.status === 'broken').map((v) => v.guarantee);
  // Only what a settled run alone is judged on: anything else broken besides is a disagreement
  // between verify and sim, reported as one.
  const extra = brokenGuarantees(replay.verdicts).filter((g) => !result.broken.includes(g));
  const atItsEnd =
    result.broken.every((g) => replayBroken.includes(g)) &&
    extra.every((g) => g === 'convergence' || g === 'liveness')
      ? extra
      : [];
  const story = scheduleToScenario(setup, moves, result.broken, result.completeSchedule, {
    atItsEnd,
    findings: findings(replay.verdicts),
  });
  // The story runs as the replay did (only what it expects changed): judged on the same verdicts.
  const same = judgeVerdicts(story.expect ?? {}, replay.verdicts).length === 0;
  const name = fromStdin(file) ? 'stdin' : basename(file, '.ts').replace(/[^A-Za-z0-9_-]/g, '');
  const base = `verify-${name}-${caseBaseName(setup.store.name, setup.preset, setup.overrides, 1).replace(/-seed1$/, '')}`;
  const { path, failure } = writeStory(
    folder,
    base,
    story,
    [
      // Laid out as explore's cases are: a title, then Goal, Method (with the schedule) and Expected.
      `${broken} ${done} — the shortest schedule found by \`npm run verify\`.`,
      '',
      ...labelled(
        'Goal:',
        `See ${broken} ${finding ? 'shown' : 'break'} in the shortest schedule there is, ${moves.length} moves: found by \`npm run verify -- ${process.argv.slice(2).map(shellWord).join(' ')}\`${fromStdin(file) ? ' (its scenario piped in)' : ''}, breadth-first, after ${result.distinct} distinct states.`,
      ),
      ...labelled(
        'Method:',
        'The network delivers a message 1 ms after it is sent; one that is late, lost or delivered twice in this schedule has a step aimed at it, at the ms it is sent, that pins its fate (below, among the steps: the schedule says only when each message arrives). The schedule, move by move:',
      ),
      ...tellSchedule(setup, moves).map((l) => `${''.padEnd(LABEL_WIDTH)}${l}`),
      ...(same ? labelled('Expected:', expectedText(replay)) : []),
    ],
    same ? replay : undefined,
  );
  out.push(
    ...fitted(summary, '  '),
    `counterexample written to ${typedPath(path)}`,
    ...(same && atItsEnd.length > 0
      ? fitted(
          `replayed with sim: the same ${what}, ${broken}; the case holds only these operations, and run to its end it breaks ${guaranteeNames(atItsEnd)} too, which the case expects`,
        )
      : [
          same
            ? `replayed with sim: the same ${what}, ${broken}`
            : c.red(
                `replayed with sim, it broke ${guaranteeNames(brokenGuarantees(replay.verdicts)) || 'nothing'}: please report this`,
              ),
        ]),
    `replay: npm run sim -- ${typedPath(path)}`,
    ...listFindings(
      result.findings.filter((f) => !result.broken.includes(f.guarantee)),
      c,
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  if (failure !== null) {
    // The case is written, only elsewhere: the status stays the search's (a violation found).
    process.stderr.write(
      `warning: ${escapeControls(failure)}; the case is at ${typedPath(path)}\n`,
    );
  }
  return EXIT.failed;
}

/** What the case's replay shows: the checkers' sentences, each finding's labelled as one. */
function expectedText(replay: ScenarioRun): string {
  return expectedSentences(replay).join(' ');
}

/**
 * Informative findings (A4, A12): each by the length of its shortest schedule and the checker's
 * sentence. They do not change the verdict; --informative makes them stop the search instead.
 */
function listFindings(found: readonly Finding[], c: ReturnType<typeof paletteFor>): string[] {
  if (found.length === 0) return [];
  const out = fitted(
    'informative findings (they do not change the verdict; --informative stops at the first and writes it as a case):',
  );
  for (const f of found) {
    const v = f.verdicts.find((x: Verdict) => x.guarantee === f.guarantee);
    const sentence = v?.violations[0]?.sentence ?? '';
    const first = `  ℹ ${guaranteeNames([f.guarantee])}: `;
    const text = `shortest schedule ${movesTo(f.world).length} moves: ${sentence}`;
    out.push(...fitted(text, first, c.yellow));
  }
  return out;
}

await main(() => run(process.argv.slice(2)));
