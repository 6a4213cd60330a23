// `npm run explore -- [--store S] [--preset P] [--knob k=v ...] [--runs N] [--seed S]`: random
// workloads and fault plans (each run draws its own mix of faults) until a guarantee breaks; the
// failure is shrunk, written as a scenario file, and replayed by the one command printed.

import { parseKnob } from '../../protocol/knobs.ts';
import {
  type Counterexample,
  caseFileName,
  DEFAULT_BOUNDS,
  explore,
  writeCase,
} from '../explore/search.ts';
import { paletteFor } from '../render/colors.ts';
import { counted } from '../render/format.ts';
import { STORES, type StoreName } from '../stores/index.ts';
import { EXIT, main, parseFlags, parseKnobFlags, parseSeed, UsageError } from './usage.ts';

const HELP =
  'usage: npm run explore -- [--store replicated|lock] [--preset seed|fixed] [--knob name=value ...] [--runs N] [--seed S] [--max-ops N]';

const OPTIONS = {
  store: { type: 'string' },
  preset: { type: 'string' },
  knob: { type: 'string', multiple: true },
  runs: { type: 'string' },
  seed: { type: 'string' },
  'max-ops': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function count(raw: string | undefined, flag: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag} must be a whole number from 1 to ${max} (got '${raw}')`);
  return n;
}

function storeName(raw: string | undefined): StoreName {
  if (raw === undefined) return 'replicated';
  if (!Object.hasOwn(STORES, raw))
    throw new UsageError(`--store must be one of ${Object.keys(STORES).join(', ')} (got '${raw}')`);
  return raw as StoreName;
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
    const parsed = parseKnob(adapter.knobSpecs, name, raw);
    if (!parsed.ok) throw new UsageError(parsed.error);
    knobs[parsed.value.name] = parsed.value.value;
  }
  return { store, preset, knobs };
}

function progress(
  stream: NodeJS.WriteStream,
  total: number,
): (runs: number, shrinking: boolean) => void {
  const started = performance.now();
  let last = 0;
  return (runs, shrinking) => {
    const now = performance.now();
    const final = runs === total && !shrinking;
    if (now - last < (stream.isTTY ? 200 : 2_000) && !final) return;
    last = now;
    const rate = runs / ((now - started) / 1000);
    const text = shrinking
      ? `shrinking the violation… ${runs} runs so far`
      : `runs ${runs}/${total}  ${rate.toFixed(0)} runs/s  violations 0`;
    stream.write(stream.isTTY ? `\r${text.padEnd(60)}` : `${text}\n`);
  };
}

function report(found: Counterexample, replay: string, path: string): string[] {
  const c = paletteFor(process.stdout, process.env);
  const lines = [
    c.red.bold(
      `violation found after ${counted(found.runsToFind, 'run')}: ${found.broken.join(', ')}`,
    ),
    `shrunk ${counted(found.shrinks, 'time')}: ${counted(found.originalSize.ops, 'operation')} and ${counted(found.originalSize.faults, 'fault')} down to ${found.size.ops} and ${found.size.faults} (${counted(found.size.steps, 'step')})`,
  ];
  for (const v of found.run.verdicts) {
    if (v.informative) continue;
    for (const w of v.violations.slice(0, 2))
      lines.push(c.red(`  ✗ ${v.guarantee}: ${w.sentence}`));
  }
  lines.push(`case written to ${path}`, `replay: ${replay}`);
  return lines;
}

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, HELP);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`explore takes no file (got '${positionals[0]}'); ${HELP}`);
  const store = storeName(values.store);
  const s = settings(store, values.preset ?? 'fixed', values.knob);
  const runs = count(values.runs, '--runs', 5000, 1_000_000);
  const seed = parseSeed(values.seed) ?? 1;
  const maxOps = count(values['max-ops'], '--max-ops', DEFAULT_BOUNDS.maxOps, 10_000);
  const started = performance.now();
  const result = explore({
    ...s,
    runs,
    seed,
    bounds: { ...DEFAULT_BOUNDS, maxOps },
    onRun: progress(process.stderr, runs),
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  if (result.counterexample === null) {
    const rate = result.runs / ((performance.now() - started) / 1000);
    process.stdout.write(
      `no violation in ${result.runs} runs (${rate.toFixed(0)} runs/s; store ${store}, preset ${s.preset}, seed ${seed})\n`,
    );
    return EXIT.ok;
  }
  const path = caseFileName(store, s.preset, s.knobs, seed);
  const replay = writeCase(path, result.counterexample, `npm run explore -- ${argv.join(' ')}`);
  process.stdout.write(`${report(result.counterexample, replay, path).join('\n')}\n`);
  return EXIT.failed;
}

await main(() => run(process.argv.slice(2)));
