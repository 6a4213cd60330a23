// A node's state digest in the trace stays small however much the node holds: past 32 keys it
// says how many there are instead of listing them, so a traced run over thousands of keys grows
// linearly (it used to write every key at every step: 3.8 GB for a run over 6,000 keys). The
// saved trace still passes view's checks (the page's card is tested in browser.test.ts).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Scenario, Step } from '../sim/scenario.ts';
import { runScenario } from '../sim/scenario.ts';
import { runCli } from './run-cli.ts';

function spread(keys: number, store: 'replicated' | 'lock' = 'replicated'): Scenario {
  const steps: Step[] = Array.from({ length: keys }, (_, i) => ({
    at: i * 50,
    client: 'c1',
    put: [`k${String(i).padStart(3, '0')}`, 'v'],
  }));
  return { goal: `puts on ${keys} keys`, store, steps };
}

/** Each node's last state digest in a kept trace. */
function lastDigests(scenario: Scenario): Map<string, Record<string, unknown>> {
  const run = runScenario(scenario, { seed: 1 });
  const last = new Map<string, Record<string, unknown>>();
  for (const e of run.result.trace) if (e.kind === 'state') last.set(e.node, e.summary as never);
  return last;
}

describe('state digests', () => {
  it.each(['replicated', 'lock'] as const)('%s: up to 32 keys, every key is listed', (store) => {
    const digests = lastDigests(spread(32, store));
    expect(Object.keys(digests.get('s1')!.store as object)).toHaveLength(32);
    expect(digests.get('s1')!.keys).toBeUndefined();
    expect(Object.keys(digests.get('c1')!.seen as object)).toHaveLength(32);
  });

  it.each(['replicated', 'lock'] as const)('%s: past 32 keys, their number instead', (store) => {
    const digests = lastDigests(spread(33, store));
    expect(digests.get('s1')).toMatchObject({ store: {}, keys: 33 });
    expect(digests.get('c1')).toMatchObject({ seen: {}, keys: 33 });
  });

  it("a saved trace with such digests passes view's checks", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-digest-'));
    const file = join(dir, 'many.ts');
    const text = `export default ${JSON.stringify(spread(40))};\n`;
    writeFileSync(file, text);
    const sim = runCli('sim', [file, '--quiet', '--json', 'many.json'], dir);
    expect(sim.status, sim.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'many.json'), 'utf8'));
    const digests = saved.events.filter((e: { kind: string }) => e.kind === 'state');
    expect(digests.at(-1).summary.keys).toBe(40);
    const view = runCli('view', ['many.json', '--html', 'many.html'], dir);
    expect(view.status, view.stderr).toBe(0);
  });
});
