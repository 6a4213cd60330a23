// Runs many random plans (the way explore draws them) and every scenario, and prints each
// disagreement between the checkers and the reference, with counts by settings and guarantee.
// For development, not part of `npm test`:  npx tsx test/reference/many.ts [runs] [seed] [mode] [from]
// Modes (see cases.ts), each instead of the scenarios and random runs: `contended` (one-key runs
// of the replicated store), `lock` (the lock store's corners), `sessions` (crashed and pipelined
// clients, a follower crashed near the end). `from`: the first run's number, to rerun one case:
// the label `lock 7/1234 ...` is `many.ts 1 7 lock 1234`.

import { runScenario } from '../../sim/scenario.ts';
import {
  type Case,
  contendedCase,
  lockCase,
  randomCase,
  scenarioCases,
  sessionsCase,
} from './cases.ts';
import { compareRun } from './compare.ts';
import { referenceVerdicts } from './index.ts';
import { BRUTE_FORCE_LIMIT, type LinearizabilityVerdict } from './linearizability.ts';

const runs = Number(process.argv[2] ?? 1000);
const seed = Number(process.argv[3] ?? 1);
const MODES: Record<string, (seed: number, i: number) => Case> = {
  random: randomCase,
  contended: contendedCase,
  lock: lockCase,
  sessions: sessionsCase,
};
const mode = process.argv[4] ?? 'random';
const caseOf = MODES[mode];
if (caseOf === undefined) {
  console.error(`unknown mode ${mode}: use one of ${Object.keys(MODES).join(', ')}`);
  process.exit(2);
}
const from = Number(process.argv[5] ?? 0);
const counts = new Map<string, number>();
/** Runs in which the checkers found each guarantee broken: what the mode reaches. */
const broken = new Map<string, number>();
let compared = 0;
let keysSkipped = 0;
let keysSearched = 0;
let keysSearchedBroken = 0;
let runsWithSkips = 0;
const started = process.cpuUsage();
const report = (c: Case) => {
  const run = runScenario(c.scenario, c.options);
  compared++;
  for (const v of run.verdicts)
    if (v.status === 'broken') broken.set(v.guarantee, (broken.get(v.guarantee) ?? 0) + 1);
  const reference = referenceVerdicts(run);
  const lin = reference.get('linearizability') as LinearizabilityVerdict | undefined;
  keysSkipped += lin?.skipped.length ?? 0;
  keysSearched += lin?.searched.length ?? 0;
  keysSearchedBroken += lin?.searched.filter((k) => lin.brokenKeys.includes(k)).length ?? 0;
  if ((lin?.skipped.length ?? 0) > 0) {
    runsWithSkips++;
    if (runsWithSkips <= 10)
      console.log(`${c.label}: linearizability of ${lin?.skipped} undecided`);
  }
  for (const d of compareRun(run, reference)) {
    const label = `${c.label.replace(/^\w+ \d+\/\d+ /, '')}: ${d.guarantee}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
    if ((counts.get(label) ?? 0) <= 2) console.log(`${c.label} ${d.guarantee}: ${d.what}`);
  }
};
if (mode === 'random' && from === 0)
  for (const c of await scenarioCases([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true)) report(c);
for (let i = from; i < from + runs; i++) report(caseOf(seed, i));
const cpu = process.cpuUsage(started);
console.log(`${compared} runs compared, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`);
console.log(
  `linearizability: ${keysSearched} keys of more than ${BRUTE_FORCE_LIMIT} operations decided by the Wing–Gong search (${keysSearchedBroken} not linearizable); ${keysSkipped} keys in ${runsWithSkips} runs left undecided (its step budget)`,
);
console.log(`broken (checkers), runs: ${[...broken].map(([g, n]) => `${g} ${n}`).join(', ')}`);
for (const [label, n] of counts) console.log(`${n}\t${label}`);
