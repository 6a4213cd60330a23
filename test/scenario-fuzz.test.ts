// Fuzzing the scenario format: valid scenarios broken in one to three places (a value of the wrong
// type or shape, an extreme number, a hostile text, a field removed, added or misspelt). Each must
// be refused with one clean sentence, or run. The bulk goes through the checker directly; a sample
// goes through the real command line, which must exit 2 with one line on stderr, or run.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { paletteFor } from '../sim/render/colors.ts';
import { renderDiagram } from '../sim/render/diagram.ts';
import { traceDocument } from '../sim/render/json.ts';
import { renderLog } from '../sim/render/log.ts';
import { renderSummary } from '../sim/render/summary.ts';
import { runScenario, ScenarioError, validateScenario } from '../sim/scenario.ts';
import { runCli } from './run-cli.ts';

/** Inputs tried per run: through the checker (and the simulator when accepted), and the CLI. */
const CHECKER_RUNS = 2000;
const CLI_RUNS = 8;
const SEED = 9;
const PLAIN = paletteFor({ isTTY: false }, {});

const HOSTILE_TEXTS = [
  '',
  ' ',
  '\u001b[2J\u001b[H',
  '\u001b]52;c;aGVsbG8=\u0007',
  '\u009b31m',
  '\u202eevil',
  '\ud800',
  'a\nb',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '*/ process.exit(3) /*',
  '$' + '{process.exit(3)}',
  '<img src=x onerror=alert(1)>',
  'x'.repeat(5000),
];

const hostileText = fc.oneof(
  fc.constantFrom(...HOSTILE_TEXTS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const extremeNumber = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    -1,
    0.5,
    1e300,
    -1e300,
    2 ** 53,
    2 ** 53 - 1,
    1e9 + 1,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
  ),
  fc.integer(),
  fc.double(),
);

/** A value of any type or shape, to put where some other was expected. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  extremeNumber,
  fc.boolean(),
  fc.constantFrom(null, undefined, {}, [], [[]], { a: 1 }),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 4 }),
  fc.dictionary(hostileText, fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), {
    maxKeys: 2,
  }),
);

const REPLIES = ['PUT_OK', 'GET_OK', 'NULL', 'DELETE_OK'];

/** A valid scenario of a few steps: the thing each mutation then breaks. */
const validScenario = fc
  .record({
    lock: fc.boolean(),
    servers: fc.integer({ min: 1, max: 4 }),
    clients: fc.integer({ min: 1, max: 3 }),
    steps: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 2000 }),
        kind: fc.constantFrom('put', 'get', 'delete', 'crash', 'heal', 'hold', 'clockStep'),
        a: fc.nat(),
        b: fc.nat(),
        reply: fc.option(fc.constantFrom(...REPLIES), { nil: undefined }),
      }),
      { maxLength: 5 },
    ),
  })
  .map(({ lock, servers, clients, steps }) => {
    const s = Array.from({ length: lock ? 1 : servers }, (_, i) => `s${i + 1}`);
    const c = Array.from({ length: clients }, (_, i) => `c${i + 1}`);
    const nodes = [...s, ...c];
    return {
      goal: 'a fuzzed scenario',
      ...(lock ? { store: 'lock' } : {}),
      servers: s.length,
      clients: c,
      network: { delayMinMs: 1, delayMaxMs: 20 },
      runUntilMs: 30_000,
      steps: steps.map((step) => {
        const client = c[step.a % c.length]!;
        const node = nodes[step.b % nodes.length]!;
        const expect = step.reply === undefined ? {} : { expect: step.reply };
        switch (step.kind) {
          case 'put':
            return { at: step.at, client, put: ['x', String(step.b)], ...expect };
          case 'get':
            return { at: step.at, client, get: 'x', note: 'a read', ...expect };
          case 'delete':
            return { at: step.at, client, delete: 'x', expect: { pending: true } };
          case 'crash':
            return { at: step.at, crash: node };
          case 'heal':
            return { at: step.at, heal: true };
          case 'hold':
            return { at: step.at, hold: [node, client] };
          default:
            return { at: step.at, clockStep: node, byMs: step.b - 500 };
        }
      }),
      expect: { violations: [] },
    } as Record<string, unknown>;
  });

type Path = readonly (string | number)[];

/** Every place in a value: each object field and list item, the value itself first. */
function pathsOf(value: unknown, path: Path = []): Path[] {
  const here: Path[] = [path];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      here.push(...pathsOf(v, [...path, i]));
    });
  } else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) here.push(...pathsOf(v, [...path, k]));
  return here;
}

type Mutation =
  | { readonly kind: 'replace'; readonly pick: number; readonly value: unknown }
  | { readonly kind: 'remove'; readonly pick: number }
  | { readonly kind: 'add'; readonly pick: number; readonly name: string; readonly value: unknown }
  | { readonly kind: 'misspell'; readonly pick: number; readonly at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    pick: fc.nat(),
    name: fc.oneof(hostileText, fc.constantFrom('expects', 'netwrok', 'rpely', 'byMs', 'via')),
    value: anyValue,
  }),
  fc.record({ kind: fc.constant('misspell' as const), pick: fc.nat(), at: fc.nat() }),
);

/** A copy of the scenario with one place changed (the value's own structure is copied first). */
function mutate(scenario: Record<string, unknown>, m: Mutation): Record<string, unknown> {
  const copy = structuredClone(scenario);
  const paths = pathsOf(copy).filter((p) => p.length > 0);
  const path = paths[m.pick % paths.length]!;
  const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as never)[k], copy) as Record<
    string | number,
    unknown
  >;
  const last = path[path.length - 1]!;
  switch (m.kind) {
    case 'replace':
      parent[last] = m.value;
      break;
    case 'remove':
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      break;
    case 'add': {
      const target = parent[last];
      if (typeof target === 'object' && target !== null && !Array.isArray(target))
        Object.defineProperty(target, m.name, { value: m.value, enumerable: true, writable: true });
      else parent[last] = m.value;
      break;
    }
    case 'misspell': {
      if (typeof last !== 'string' || Array.isArray(parent)) break;
      const i = m.at % last.length;
      const typo = `${last.slice(0, i)}${last.slice(i + 1)}` || `${last}s`;
      Object.defineProperty(parent, typo, {
        value: parent[last],
        enumerable: true,
        writable: true,
      });
      delete parent[last];
      break;
    }
  }
  return copy;
}

const brokenScenario = fc
  .tuple(validScenario, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([scenario, mutations]) => mutations.reduce(mutate, scenario));

/** A sentence fit for one line of stderr: no line break, no control character, not endless. */
function expectOneCleanLine(text: string): void {
  expect(text).not.toMatch(/\p{Cc}/u);
  expect(text.length).toBeLessThan(600);
}

describe('fuzzed scenarios through the checker', () => {
  it(`each of ${CHECKER_RUNS} broken scenarios is refused in one clean sentence, or runs`, () => {
    let refused = 0;
    fc.assert(
      fc.property(brokenScenario, (raw) => {
        let scenario: ReturnType<typeof validateScenario>;
        try {
          scenario = validateScenario(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(ScenarioError);
          expectOneCleanLine((error as Error).message);
          refused++;
          if (process.env.FUZZ_SHOW) console.log((error as Error).message);
          return;
        }
        // Run and drawn as `npm run sim` draws it: the renderers see whatever the checker let in.
        const run = runScenario(scenario, { bounds: { maxEvents: 50_000 } });
        const doc = traceDocument(run, { file: 'fuzz.ts', goal: scenario.goal, replay: 'replay' });
        const drawn = [...renderDiagram(PLAIN, doc, { width: 100 }), ...renderLog(PLAIN, run)];
        drawn.push(...renderSummary(PLAIN, run, 'replay', 100));
        expect(drawn.join('\n')).toContain('trace hash');
      }),
      { numRuns: CHECKER_RUNS, seed: SEED },
    );
    // The generator is meant to break scenarios: most must be refused, some must still run.
    expect(refused).toBeGreaterThan(CHECKER_RUNS / 2);
    expect(refused).toBeLessThan(CHECKER_RUNS);
  });
});

describe('fuzzed scenarios through the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const samples = fc.sample(brokenScenario, { numRuns: CLI_RUNS, seed: SEED });

  it.each(samples.map((raw, i) => [i + 1, raw] as const))(
    'sample %i: exit 2 with one line on stderr, or a run',
    (i, raw) => {
      const file = join(dir, `fuzz-${i}.ts`);
      writeFileSync(file, `export default ${fc.stringify(raw)};\n`);
      const r = runCli('sim', [file, '--quiet']);
      if (r.status === 2) {
        expect(r.stderr).toMatch(/^error: [^\n]*\n$/);
        expectOneCleanLine(r.stderr.trimEnd());
      } else {
        expect(r.stderr).toBe('');
        expect([0, 1]).toContain(r.status);
        expect(r.stdout).toContain('trace hash');
      }
    },
  );
});
