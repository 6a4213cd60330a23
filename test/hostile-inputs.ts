// The generators of the fuzz suite: hostile strings (terminal escapes, bidi, markup, any code
// point), scenarios that use them as node names, keys, values and notes, and malformed traces
// made by breaking a real trace at a random place in a random way.

import fc from 'fast-check';
import { type Scenario, ScenarioError, validateScenario } from '../sim/scenario.ts';

/** Pieces that attack a terminal or a page, mixed with arbitrary code points. */
const PIECES = [
  '\u001b',
  '\u001b[2J',
  '\u001b]52;c;aGk=\u0007',
  '\u009b',
  '\u0085',
  '\u0000',
  '\u0007',
  '\b',
  '\n',
  '\r',
  '\t',
  '\u007f',
  '\u202e',
  '\u2066',
  '\u200f',
  '\u2028',
  '\u061c',
  '<',
  '>',
  '"',
  "'",
  '&',
  '&amp;',
  '</script>',
  '<!--',
  '<img src=x onerror=window.__pwned=1>',
  '1"><svg onload=alert(1)>',
  ' ',
  '\\',
  '😀',
  '漢',
  'é',
];

export const hostileString: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary', maxLength: 3 })), {
    minLength: 1,
    maxLength: 10,
  })
  .map((parts) => parts.join(''));

export interface HostileNames {
  readonly server: string;
  readonly client: string;
  readonly key: string;
  readonly value: string;
  readonly note: string;
}

export const hostileNames: fc.Arbitrary<HostileNames> = fc.record({
  server: hostileString,
  client: hostileString,
  key: hostileString,
  value: hostileString,
  note: hostileString,
});

/**
 * A small replicated-store story whose node names, key, value and notes are hostile: a write, a
 * read from the other server (its expectation names the value), a crash. Should the scenario
 * checker refuse such node names (in one line: checked here), the nodes get plain names and the
 * rest stays hostile; node names still reach the views through traces (hostileDocument).
 */
export function hostileScenario(h: HostileNames): Scenario {
  const story = storyWith(`s1${h.server}`, `s2${h.server}`, `c1${h.client}`, h);
  try {
    validateScenario(story);
    return story;
  } catch (error) {
    if (!(error instanceof ScenarioError) || error.message.includes('\n')) throw error;
    return storyWith('s1', 's2', 'c1', h);
  }
}

function storyWith(s1: string, s2: string, c1: string, h: HostileNames): Scenario {
  return {
    goal: `goal ${h.note}`,
    preset: 'fixed',
    servers: [s1, s2],
    clients: [c1],
    network: { delayMinMs: 5, delayMaxMs: 5 },
    steps: [
      { at: 0, client: c1, put: [h.key, h.value], via: s1, note: `note ${h.note}` },
      { at: 100, client: c1, get: h.key, via: s2, expect: { value: h.value } },
      { at: 200, crash: s2, note: h.note },
    ],
  };
}

/** One hostile string in every role. */
export function sameEverywhere(h: string): HostileNames {
  return { server: h, client: h, key: h, value: h, note: h };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

/** Every place in a JSON value: each field, each entry, at every depth. */
export function pathsOf(value: Json, at: Path = []): Path[] {
  const here: Path[] = at.length === 0 ? [] : [at];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => pathsOf(v, [...at, i]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...at, k]))];
  }
  return here;
}

export type Breakage =
  | { readonly how: 'delete' }
  | { readonly how: 'set'; readonly to: Json }
  | { readonly how: 'huge-array' }
  | { readonly how: 'huge-string' };

const EDGE_VALUES: Json[] = [
  null,
  true,
  0,
  -1,
  -1e300,
  1e300,
  0.5,
  2 ** 53,
  '',
  '1"><img src=x onerror=window.__pwned=1>',
  '\u001b]52;c;aGk=\u0007',
  {},
  [],
  [[]],
  { kind: 'record' },
];

export const breakage: fc.Arbitrary<Breakage> = fc.oneof(
  fc.constant({ how: 'delete' as const }),
  fc.constantFrom(...EDGE_VALUES).map((to) => ({ how: 'set' as const, to })),
  fc.jsonValue({ maxDepth: 2 }).map((to) => ({ how: 'set' as const, to: to as Json })),
  fc.constant({ how: 'huge-array' as const }),
  fc.constant({ how: 'huge-string' as const }),
);

/** A malformed trace: `base` (a real trace as JSON) broken at 1 to 3 places. */
export function brokenTrace(base: Json): fc.Arbitrary<string> {
  const paths = pathsOf(base);
  const one = fc.record({ path: fc.nat({ max: paths.length - 1 }), breakage });
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((breaks) => {
    const doc = JSON.parse(JSON.stringify(base)) as Json;
    for (const { path, breakage: b } of breaks) breakAt(doc, paths[path]!, b);
    return JSON.stringify(doc);
  });
}

function breakAt(doc: Json, path: Path, b: Breakage): void {
  let parent: Json = doc;
  for (const step of path.slice(0, -1)) {
    const next: Json | undefined = (parent as Record<string | number, Json>)[step];
    if (next === undefined || next === null || typeof next !== 'object') return;
    parent = next;
  }
  const last = path[path.length - 1]!;
  const holder = parent as Record<string | number, Json>;
  if (!(last in holder)) return;
  if (b.how === 'delete') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete holder[last];
    return;
  }
  holder[last] =
    b.how === 'set'
      ? b.to
      : b.how === 'huge-array'
        ? Array.from({ length: 100_000 }, () => 0)
        : 'x'.repeat(1 << 20);
}
