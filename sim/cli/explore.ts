// `npm run explore`: random workloads and fault plans (each run draws its own mix of faults) on
// every core until a guarantee breaks. The failing run is written as a case the moment it is
// found, shrunk (within a budget of replays, so that every machine gets the same case), rewritten
// as the smaller case, and replayed by the one command printed. Ctrl-C prints what was found so far and where the best case is.

import { availableParallelism } from 'node:os';
import { CaseWriter, caseBaseName } from '../explore/case.ts';
import { planToScenario, scenarioSize } from '../explore/plan.ts';
import { defaultWorkers, type Found, SearchPool, threadsFor } from '../explore/pool.ts';
import {
  DEFAULT_BOUNDS,
  DEFAULT_SHRINK_RUNS,
  DEFAULT_SHRINK_SECONDS,
  runNumber,
  type Search,
  type Shard,
  WHOLE,
} from '../explore/search.ts';
import { paletteFor } from '../render/colors.ts';
import { counted, ordinal } from '../render/format.ts';
import { escapeControls, shellWord } from '../render/safe-text.ts';
import { guaranteeNames, witnessesShown } from '../render/summary.ts';
import { runScenario } from '../scenario.ts';
import { parseStoreKnob, STORES, type StoreName } from '../stores/index.ts';
import { storeFlag, wholeNumber } from './cluster-flags.ts';
import { caseFolder } from './output.ts';
import {
  EXIT,
  filelessFlags,
  fitted,
  main,
  onStopSignal,
  parseKnobFlags,
  parseSeed,
  STOPPING,
  typedPath as shown,
  UsageError,
} from './usage.ts';

const HELP =
  'usage: npm run explore -- [--store replicated|lock] [--preset seed|fixed] [--knob name=value ...] [--runs N] [--seed S] [--max-ops N] [--workers N] [--shard K/N] [--out DIR] [--shrink-runs N] [--shrink-seconds N]';

/** What `--help` says under the usage line: each flag's meaning, unit and default. */
const DETAILS = [
  '',
  'Makes random workloads and fault plans until a guarantee breaks, then shrinks the failing run',
  'and writes it as a scenario file (a case) that npm run sim replays.',
  '',
  '  --store replicated|lock  the store searched (default replicated)',
  "  --preset seed|fixed      the student's choices or the corrected ones (default fixed)",
  '  --knob name=value        flips one knob; repeat it for more',
  '  --runs N                 random runs to make (default 5000)',
  '  --seed S                 the search seed: the same seed makes the same runs (default 1)',
  `  --max-ops N              operations in a run, at most (default ${DEFAULT_BOUNDS.maxOps})`,
  '  --workers N              worker threads (default one per core, fewer for few runs)',
  '  --shard K/N              makes only the K-th of N slices of the runs, for N machines',
  '  --out DIR                the folder cases are written into (default cases)',
  `  --shrink-runs N          replays shrinking may make; the same seed and flags give the same`,
  `                           case on any machine (default ${DEFAULT_SHRINK_RUNS}; 0 skips shrinking)`,
  `  --shrink-seconds N       a safety stop in wall-clock seconds: a case it cuts depends on the`,
  `                           machine's speed, and says so (default ${DEFAULT_SHRINK_SECONDS}; 0 skips`,
  '                           shrinking)',
];

const OPTIONS = {
  store: { type: 'string' },
  preset: { type: 'string' },
  knob: { type: 'string', multiple: true },
  runs: { type: 'string' },
  seed: { type: 'string' },
  'max-ops': { type: 'string' },
  workers: { type: 'string' },
  shard: { type: 'string' },
  out: { type: 'string' },
  'shrink-runs': { type: 'string' },
  'shrink-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--shard K/N`: the K-th (1-based) of N disjoint slices of the runs. */
function shardOf(raw: string | undefined): Shard {
  if (raw === undefined) return WHOLE;
  const m = /^(\d{1,5})\/(\d{1,5})$/.exec(raw);
  const k = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (m === null || k < 1 || n < 1 || k > n)
    throw new UsageError(
      `--shard takes K/N with 1 <= K <= N <= 99999, e.g. --shard 2/4 (got '${raw}')`,
    );
  return { index: k - 1, count: n };
}

/** Checks preset and knobs against the store before any run, and types the knob values. */
function settings(store: StoreName, preset: string, flags: readonly string[] | undefined) {
  const adapter = STORES[store];
  if (!Object.hasOwn(adapter.presets, preset)) {
    throw new UsageError(
      `unknown preset '${preset}'; the presets are: ${Object.keys(adapter.presets).join(', ')}`,
    );
  }
  const knobs: Record<string, string | number> = {};
  for (const [name, raw] of Object.entries(parseKnobFlags(flags))) {
    const parsed = parseStoreKnob(adapter, name, raw, 'the store (--store)');
    if (!parsed.ok) throw new UsageError(parsed.error);
    knobs[parsed.value.name] = parsed.value.value;
  }
  return { store, preset, knobs };
}

/** Witnesses shown a guarantee the shrunk case breaks (the replay shows more). */
const SHOWN_WITNESSES = 2;

/** The most worker threads `--workers` may ask for, per core of this machine. */
const WORKERS_PER_CORE = 4;

async function run(argv: readonly string[]): Promise<number> {
  const values = filelessFlags(
    'explore',
    argv,
    OPTIONS,
    HELP,
    // A newcomer with a scenario in hand wants the command that takes one.
    ': it makes random runs of its own; to try every schedule of a scenario, npm run verify -- <scenario.ts>',
    DETAILS,
  );
  if (values === null) return EXIT.ok;
  const store = storeFlag(values.store);
  const s = settings(store, values.preset ?? 'fixed', values.knob);
  const runs = wholeNumber(values.runs, '--runs', 5000, 1, 1_000_000);
  const seed = parseSeed(values.seed) ?? 1;
  const maxOps = wholeNumber(values['max-ops'], '--max-ops', DEFAULT_BOUNDS.maxOps, 1, 10_000);
  // Runs are CPU-bound, so threads past the cores only share them, each with its own ~24 MB and
  // compiled copy of the simulator: four per core leaves room, not hundreds.
  const cores = availableParallelism();
  const workers = wholeNumber(
    values.workers,
    '--workers',
    defaultWorkers(runs, cores),
    1,
    cores * WORKERS_PER_CORE,
  );
  const shard = shardOf(values.shard);
  // What the search starts: a search of 5 runs uses one thread, whatever --workers asked for.
  const threads = threadsFor(workers, runs);
  const shrinkRuns = wholeNumber(
    values['shrink-runs'],
    '--shrink-runs',
    DEFAULT_SHRINK_RUNS,
    0,
    100_000_000,
  );
  const shrinkSeconds = wholeNumber(
    values['shrink-seconds'],
    '--shrink-seconds',
    DEFAULT_SHRINK_SECONDS,
    0,
    86_400,
  );
  // A budget of nothing skips shrinking; the case is then the run as found, on any machine (a
  // safety stop of 0 s would cut fast-check at some point of the machine's choosing instead).
  const skipped =
    shrinkRuns === 0 ? '--shrink-runs 0' : shrinkSeconds === 0 ? '--shrink-seconds 0' : null;
  const out = caseFolder(values.out);

  const search: Search = { ...s, seed, bounds: { ...DEFAULT_BOUNDS, maxOps } };
  const shardText = shard.count === 1 ? '' : `, shard ${shard.index + 1}/${shard.count}`;
  const where = `store ${store}, preset ${s.preset}, seed ${seed}${shardText}`;
  const command = `npm run explore -- ${argv.map(shellWord).join(' ')}`.trim();
  const c = paletteFor(process.stdout, process.env);
  const err = process.stderr;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let made = 0;
  let found: Found | null = null;
  let writer: CaseWriter | null = null;
  let last = 0;
  const status = (line: string, final = false) => {
    const now = performance.now();
    if (!final && now - last < (err.isTTY ? 200 : 2_000)) return;
    last = now;
    err.write(err.isTTY ? `\r${line.padEnd(72)}${final ? '\n' : ''}` : `${line}\n`);
  };
  const rate = () => made / Math.max(1e-3, (performance.now() - started) / 1000);
  /**
   * A case its folder would not take: where it went instead, and why; and the case itself, on
   * stdout, when no folder would take it (a full disk): nothing found is lost.
   */
  const warnIfElsewhere = (w: CaseWriter) => {
    if (w.failure === null) return;
    const earlier = w.path === null ? '' : ` (an earlier one is at ${shown(w.path)})`;
    const at =
      w.unwritten === null
        ? `the case is at ${shown(w.path!)}`
        : `the case is printed below${earlier}`;
    err.write(`warning: ${escapeControls(w.failure)}; ${at}\n`);
    if (w.unwritten !== null) process.stdout.write(`\n${w.unwrittenText()}`);
  };
  /** Where the case is, as the status line says it. */
  const whereCase = (w: CaseWriter) =>
    w.path === null ? 'could not be written (it is printed at the end)' : `is in ${shown(w.path)}`;

  const pool = new SearchPool({
    search,
    shard,
    runs,
    workers,
    shrinkRuns: skipped === null ? shrinkRuns : 0,
    shrinkSeconds: skipped === null ? shrinkSeconds : DEFAULT_SHRINK_SECONDS,
    command,
    onProgress: (n) => {
      made = n;
      status(`runs ${n}/${runs}  ${rate().toFixed(0)} runs/s on ${counted(threads, 'worker')}`);
    },
    onFound: (f) => {
      found = f;
      // Shards searched into one folder give cases that say which shard found them.
      const shardName = shard.count === 1 ? '' : `-shard${shard.index + 1}of${shard.count}`;
      writer = new CaseWriter(out, `${caseBaseName(store, s.preset, s.knobs, seed)}${shardName}`);
      writer.write(f.source);
      status(
        `run ${runNumber(f.run)} broke ${guaranteeNames(f.broken)}; the case as found ${whereCase(writer)}; ${skipped === null ? `shrinking (at most ${counted(shrinkRuns, 'replay')})…` : `not shrinking (${skipped})`}`,
        true,
      );
    },
    onBetter: (source) => writer?.write(source),
  });

  // This thread only writes files (the workers run and shrink), so it answers at once: tsx gives
  // a child that does not answer a signal within 60 ms a SIGKILL. The case on disk is the latest
  // smaller one the shrinking sent, written whole or not at all.
  onStopSignal((signal) => {
    pool.stop();
    if (err.isTTY) err.write('\n');
    const lines = [`interrupted after ${made} runs (${where})`];
    const w = writer as CaseWriter | null;
    if (found !== null && w !== null) {
      lines.push(
        `run ${runNumber((found as Found).run)} broke ${guaranteeNames((found as Found).broken)}; shrinking was interrupted`,
      );
      if (w.path !== null)
        lines.push(`best case so far: ${shown(w.path)}`, `replay: npm run sim -- ${shown(w.path)}`);
    } else lines.push('no violation found so far');
    process.stdout.write(`${lines.join('\n')}\n`);
    if (w !== null) warnIfElsewhere(w);
    process.exit(STOPPING[signal]);
  });

  const result = await pool.run();
  const cpu = process.cpuUsage(cpuStarted);
  const seconds = (performance.now() - started) / 1000;
  if (result.found === null || result.shrunk === null || writer === null) {
    if (err.isTTY) err.write('\n');
    process.stdout.write(
      `no violation in ${counted(result.made, 'run')} (${(result.made / seconds).toFixed(0)} runs/s on ${counted(threads, 'worker')}, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU-s; ${where})\n`,
    );
    return EXIT.ok;
  }
  const w = writer as CaseWriter;
  const shrunk = result.shrunk.shrunk;
  w.write(result.shrunk.source);
  const replay = runScenario(shrunk.scenario, { trace: false });
  const from = scenarioSize(planToScenario(shrunk.original, search));
  const to = scenarioSize(shrunk.scenario);
  const lines = [
    ...fitted(
      `violation found at run ${runNumber(result.found.run)}${shard.count === 1 ? '' : `, the ${ordinal(result.found.j + 1)} run of shard ${shard.index + 1}/${shard.count}`}: ${guaranteeNames(result.found.broken)}`,
      '',
      c.red.bold,
    ),
    ...fitted(
      skipped === null
        ? `shrunk ${counted(shrunk.shrinks, 'time')} in ${counted(shrunk.shrinkRuns, 'replay')}: ${counted(from.ops, 'operation')} and ${counted(from.faults, 'fault step')} down to ${counted(to.ops, 'operation')} and ${counted(to.faults, 'fault step')}`
        : `shrinking skipped (${skipped}): the case is not shrunk, it keeps every step of the run as found, ${counted(to.ops, 'operation')} and ${counted(to.faults, 'fault step')}`,
    ),
  ];
  if (shrunk.cut === 'runs' && skipped === null)
    lines.push(
      ...fitted(
        `shrinking spent its budget of ${counted(shrinkRuns, 'replay')}: the case is as far as it got, maybe not the smallest, and the same on any machine (--shrink-runs N with a larger N takes it further)`,
        '',
        c.yellow,
      ),
    );
  if (shrunk.cut === 'seconds') {
    const cut = `shrinking was cut by its safety stop of ${shrinkSeconds} s of wall-clock time after ${counted(shrunk.shrinkRuns, 'replay')} of its ${shrinkRuns}: another machine may shrink this run further; --shrink-seconds N with a larger N lets it finish`;
    lines.push(...fitted(cut, '', c.yellow.bold));
    process.stderr.write(`warning: ${cut}\n`);
  }
  // Shrinking keeps a violation, not always the same ones: the case's own are named.
  const kept = replay.verdicts.filter((v) => !v.informative && v.violations.length > 0);
  // Shrunk, a case may break what the run as found did not (a PUT in a DELETE's place shows a
  // write lost): said, so that the line above does not seem contradicted.
  const asFound = result.found.broken;
  const more = kept.map((v) => v.guarantee).filter((g) => !asFound.includes(g));
  const besides = more.length === 0 ? '' : ` (shrinking made it show ${guaranteeNames(more)} too)`;
  lines.push(
    ...fitted(`the case breaks ${guaranteeNames(kept.map((v) => v.guarantee))}${besides}:`),
  );
  for (const v of kept) {
    const prefix = `  ✗ ${guaranteeNames([v.guarantee])}: `;
    for (const x of witnessesShown(v.violations, SHOWN_WITNESSES))
      lines.push(...fitted(x.sentence, prefix, c.red));
    const more = v.violations.length - SHOWN_WITNESSES;
    if (more > 0) lines.push(...fitted(`… and ${more} more`, prefix, c.dim));
  }
  if (w.unwritten === null)
    lines.push(`case written to ${shown(w.path!)}`, `replay: npm run sim -- ${shown(w.path!)}`);
  else if (w.path !== null)
    lines.push(
      `the shrunk case could not be written (it is printed below); the case as found is at ${shown(w.path)}`,
      `replay: npm run sim -- ${shown(w.path)}`,
    );
  else
    lines.push(
      'no folder would take the case: it is printed below; save it as a .ts file to replay it',
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  // The case is written, only elsewhere: the status stays the search's (a violation found).
  warnIfElsewhere(w);
  return EXIT.failed;
}

await main(() => run(process.argv.slice(2)));
