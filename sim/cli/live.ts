// `npm run live -- [--store S] [--preset P] [--knob k=v ...] [--ops N] [--keys K] [--clients M] [--faults a,b]
// [--seed N] [--json out] [--html out]`: a Jepsen-style test of the real cluster on loopback, judged
// by the simulator's checkers, saved in the simulator's trace format. Exit 0: every guarantee held;
// 1: one broke; 2: the input was wrong; 130: Ctrl-C cut the workload short (what ran is judged).

import { DEFAULT_FAULTS, runLive } from '../live/runner.ts';
import { paletteFor } from '../render/colors.ts';
import { renderDiagram } from '../render/diagram.ts';
import { renderHtml } from '../render/html.ts';
import { serializeTraceDocument, traceDocument } from '../render/json.ts';
import { displayText } from '../render/safe-text.ts';
import { field, renderSummary, runPassed } from '../render/summary.ts';
import { type OutputRequest, planOutputs, writeWhole } from './output.ts';
import { LIVE_CAVEAT, LIVE_OPTIONS, liveCommand, liveReplay, liveSettings } from './replay.ts';
import { EXIT, filelessFlags, main, onStopSignal, STOPPING, type StopSignal } from './usage.ts';

const HELP =
  'usage: npm run live -- [--store replicated|lock] [--servers N] [--preset seed|fixed] [--knob name=value ...] [--ops N] [--keys K] [--clients M] [--faults delay,drop,duplicate,partition,hold,crash,clock|none] [--seed N] [--span-ms N] [--settle-ms N] [--diagram] [--json out.json] [--html out.html]';

/** What `--help` says under the usage line: each flag's meaning, unit and default. */
const DETAILS = [
  '',
  'Starts the servers on free loopback ports behind relays that inject faults, runs a random',
  "workload over real connections, then judges the history with the simulator's checkers.",
  'Ctrl-C stops the workload early and judges what ran (exit 130); a second Ctrl-C ends at once.',
  '',
  '  --store replicated|lock  the store run (default replicated)',
  "  --servers N              servers, 1 to 9 (default the store's: 3, or 1 for lock)",
  "  --preset seed|fixed      the student's choices or the corrected ones (default fixed)",
  '  --knob name=value        flips one knob over the preset; repeat it for more',
  '  --ops N                  operations in the workload (default 60)',
  '  --keys K                 keys the workload touches, 1 to 9 (default 2)',
  '  --clients M              clients, 1 to 20 (default 3)',
  `  --faults kinds|none      the faults injected, separated by commas (default`,
  `                           ${DEFAULT_FAULTS.join(',')}; clock is not on by default)`,
  '  --seed N                 fixes the workload and the fault plan, not the timing (default 1)',
  '  --span-ms N              ms the faults (and about the workload) fall within (default',
  '                           100 ms per operation of a client, at least 300)',
  '  --settle-ms N            ms to wait for quiescence after the faults are undone (default 15000)',
  '  --diagram                draws the space-time diagram above the summary',
  '  --json out.json          saves the run as a trace (kvsim-trace/1) for npm run view',
  '  --html out.html          writes one self-contained page with the diagram',
];

async function live(argv: readonly string[]): Promise<number> {
  const values = filelessFlags('live', argv, LIVE_OPTIONS, HELP, '', DETAILS);
  if (values === null) return EXIT.ok;
  const { cluster, ops, keys, seed, spanMs, settleMs, faults } = liveSettings(values);
  // Checked before the cluster starts: a bad path must not throw away a live run.
  const outputs = planOutputs(
    [],
    [
      { flag: '--json', path: values.json, example: 'live.json', kind: 'trace' as const },
      { flag: '--html', path: values.html, example: 'live.html', kind: 'page' as const },
    ].filter((o): o is OutputRequest => o.path !== undefined),
  );
  // Ctrl-C, or a kill (SIGTERM, as a CI runner cancelling a job sends), stops the workload and
  // the faults still to come, and the run so far is judged and saved as any other (exit 130, or
  // 143); a second signal ends the command at once.
  const stop = new AbortController();
  let stoppedBy: StopSignal | null = null;
  onStopSignal((signal) => {
    stoppedBy = signal;
    stop.abort();
    const again = signal === 'SIGINT' ? 'Ctrl-C again' : 'a second kill';
    process.stderr.write(
      `${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: no more operations or faults; undoing those injected, then judging what ran (within --settle-ms ${settleMs}; ${again} ends at once)\n`,
    );
  });
  const { run, interrupted } = await runLive({
    cluster,
    ops,
    keys,
    seed,
    faults,
    spanMs,
    settleMs,
    giveUpMs: 2_000,
    stop: stop.signal,
  });
  const command = liveCommand(argv);
  const goal = `live ${cluster.store.name} cluster on loopback: ${ops} operations, faults ${faults.join(',') || 'none'}`;
  const doc = traceDocument(run, { file: 'live', goal, replay: liveReplay(argv) });
  const c = paletteFor(process.stdout, process.env);
  const width = Math.max(60, process.stdout.isTTY ? (process.stdout.columns ?? 100) : 100);
  const out: string[] = [c.bold(goal), ''];
  if (values.diagram) out.push(...renderDiagram(c, doc, { width }), '');
  out.push(...renderSummary(c, run, command, width, undefined, false));
  // A sequential session issues one operation at a time: behind one that never completed, the
  // rest of its client's share stays queued, and the summary's count alone would hide them.
  const issued = run.result.history.operations.length;
  if (!interrupted && issued < ops)
    out.push(
      ...field(
        'workload',
        `${issued} of the ${ops} operations planned were issued; the other ${ops - issued} were still queued behind an operation that never completed when the run ended`,
        width,
      ),
    );
  if (interrupted)
    out.push(
      ...field(
        'stopped',
        `by ${stoppedBy === 'SIGTERM' ? 'a kill (SIGTERM)' : 'Ctrl-C'} before the workload's end (${ops} operations planned): the faults were undone and what ran was judged`,
        width,
      ),
    );
  out.push(...field('note', LIVE_CAVEAT, width));
  // A write that fails (a full disk) still leaves the summary of a run that cannot be replayed.
  let failure: unknown = null;
  for (const planned of outputs) {
    const page = planned.flag === '--html';
    try {
      writeWhole(planned, page ? renderHtml(doc) : serializeTraceDocument(doc));
    } catch (error) {
      failure = error;
      break;
    }
    out.push(`  ${(page ? 'page' : 'trace').padEnd(10)} ${displayText(planned.path)}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (failure !== null) throw failure;
  if (interrupted) return STOPPING[stoppedBy ?? 'SIGINT'];
  return runPassed(run) ? EXIT.ok : EXIT.failed;
}

await main(() => live(process.argv.slice(2)));
