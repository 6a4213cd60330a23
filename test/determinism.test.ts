// Determinism is the product: the same scenario and seed give a byte-identical trace; a
// different seed changes the trace where randomness is involved; and the pure core and the
// kernel never touch a clock, a timer or a random source of their own.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, scenarioFiles } from '../sim/cli/load.ts';
import { runScenario } from '../sim/scenario.ts';

const ROOT = join(import.meta.dirname, '..');

describe.each(scenarioFiles())('%s', (file) => {
  it('gives the same trace hash twice for the same seed', async () => {
    const scenario = await loadScenario(file);
    const first = runScenario(scenario, { seed: 11 });
    const second = runScenario(scenario, { seed: 11 });
    expect(second.result.hash).toBe(first.result.hash);
    expect(JSON.stringify(second.result.trace)).toBe(JSON.stringify(first.result.trace));
  });
});

describe('seeds', () => {
  it('a different seed gives a different trace when the network draws delays', async () => {
    const scenario = await loadScenario('scenarios/stale-read.ts');
    const hashes = new Set([1, 2, 3].map((seed) => runScenario(scenario, { seed }).result.hash));
    expect(hashes.size).toBe(3);
  });

  it('a different seed changes nothing when nothing is random', async () => {
    const scenario = await loadScenario('scenarios/stale-read.ts');
    const constant = { ...scenario, network: { delayMinMs: 5, delayMaxMs: 5 } };
    expect(runScenario(constant, { seed: 1 }).result.hash).toBe(
      runScenario(constant, { seed: 2 }).result.hash,
    );
  });
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the deterministic core', () => {
  const files = [...sources(join(ROOT, 'protocol')), ...sources(join(ROOT, 'sim', 'kernel'))];
  const forbidden = [
    /\bDate\b/,
    /Math\.random/,
    /\bsetTimeout\b/,
    /\bsetInterval\b/,
    /\bsetImmediate\b/,
    /\bperformance\b/,
    /\bprocess\b/,
    /\bcrypto\b/,
    /\basync\b/,
    /\bawait\b/,
    /from 'node:/,
  ];

  it('has files to scan', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files.map((f) => [f.slice(ROOT.length + 1), f]))(
    '%s reads no clock, timer or random source',
    (_name, path) => {
      const code = readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
        .join('\n');
      const hits = forbidden.filter((re) => re.test(code)).map(String);
      expect(hits).toEqual([]);
    },
  );

  it('protocol/ imports nothing from sim/', () => {
    for (const path of sources(join(ROOT, 'protocol'))) {
      expect(readFileSync(path, 'utf8')).not.toMatch(/from '\.\.\/(\.\.\/)?sim\//);
    }
  });
});
