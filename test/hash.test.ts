// The trace hash: a value hashes as its JSON round trip does (hostile strings, odd numbers, holes,
// undefined fields, Maps), values JSON writes differently hash differently, and a run's hash covers
// every event but the state digests, and each message once.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import staleRead from '../scenarios/stale-read.ts';
import { ValueHash } from '../sim/kernel/hash.ts';
import { jsonLength, type TraceEvent, traceHash } from '../sim/kernel/trace.ts';
import { runScenario } from '../sim/scenario.ts';

const hash = (v: unknown) => new ValueHash().value(v).hex();
const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

const leaf = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string(),
  fc.constantFrom('"', '\\', '\n', '\u2028', '\ud800', 'a\udc00b', '\u001b[2J', '__proto__'),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, 2 ** 31, 2 ** 53, -1, 1e21, 1e-7, Number.NaN, Number.POSITIVE_INFINITY),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(
    fc.oneof(fc.string(), fc.constantFrom('1', '0', '"k"', '\n')),
    tie('value'),
    {
      maxKeys: 5,
    },
  ),
})).value;

describe('ValueHash', () => {
  it('hashes a value as its JSON round trip', () => {
    fc.assert(
      fc.property(value, (v) => {
        if (v === undefined) return;
        expect(hash(v)).toBe(hash(roundTrip(v)));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes Maps, holes, undefined fields and objects with toJSON as JSON does', () => {
    const odd = [
      { a: undefined, b: () => 1, c: new Map([['k', 1]]), d: [undefined, 3] },
      { when: { toJSON: () => 'then' } },
      { 2: 'two', 1: 'one', b: 'b', a: 'a' },
      [-0, Number.NaN, Number.NEGATIVE_INFINITY, 2 ** 29 - 1, 2 ** 29, -1, 0.1],
    ];
    const holes = [1, 2, 3];
    delete holes[1];
    for (const v of [...odd, holes]) expect(hash(v)).toBe(hash(roundTrip(v)));
  });

  it('gives values that JSON writes differently different hashes', () => {
    const near = [
      null,
      false,
      true,
      0,
      1,
      -1,
      0.5,
      2 ** 29 - 1,
      2 ** 29,
      2 ** 32 + 1,
      '',
      '0',
      'a',
      'ab',
      'abc',
      'ba',
      '\u0000',
      'a\u0000',
      [],
      [[]],
      [null],
      ['ab'],
      ['a', 'b'],
      [1, 2],
      [[1], 2],
      [1, [2]],
      {},
      { a: 1 },
      { a: '1' },
      { a: [] },
      { a: {} },
      { ab: 1 },
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      { a: { b: 2 } },
      [{ a: 1 }, {}],
      [{}, { a: 1 }],
      // Names met again are written by their slot; 'ab' and 'b[' share one.
      [{ ab: 1 }, { 'b[': 1 }, { ab: 1 }],
      [{ ab: 1 }, { 'b[': 1 }, { 'b[': 1 }],
      [{ ab: 1 }, { ab: 1 }, { ab: 1 }],
    ];
    expect(new Set(near.map((v) => JSON.stringify(v))).size).toBe(near.length);
    expect(new Set(near.map(hash)).size).toBe(near.length);
    fc.assert(
      fc.property(value, value, (v, w) => {
        if (v === undefined || w === undefined) return;
        if (JSON.stringify(v) !== JSON.stringify(w)) expect(hash(v)).not.toBe(hash(w));
      }),
      { numRuns: 2000 },
    );
  });

  it('costs a word a number and a word two characters of a string', () => {
    expect(new ValueHash().number(25_009).words).toBe(1);
    expect(new ValueHash().string('c1.4').words).toBe(3); // the length, then two words
    // The start, the key (length, two words), the value (length, one word), the end.
    const h = new ValueHash().value({ key: 'x' });
    expect(h.words).toBe(7);
    // A name met before is one word: the start, the name, the value, the end.
    h.value({ key: 'y' });
    expect(h.words).toBe(7 + 5);
  });
});

describe('jsonLength (what the kept-trace bound counts)', () => {
  // Strings JSON writes as they are: no quote, backslash, control character or lone surrogate.
  const plain = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ' ', '.', 'é', '⊥', '😀') });
  const safe = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      plain,
      fc.double(),
      fc.integer(),
      fc.constantFrom(0, -0, 9, 10, 999_999_999, 1e9, 1e21, -1, Number.NaN),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      tie('array'),
      tie('object'),
    ),
    array: fc.array(tie('value'), { maxLength: 5 }),
    object: fc.dictionary(plain, tie('value'), { maxKeys: 5 }),
  })).value;

  it('counts the characters JSON.stringify writes', () => {
    fc.assert(
      fc.property(safe, (v) => {
        if (v === undefined) return;
        expect(jsonLength(v)).toBe(JSON.stringify(v).length);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the trace hash', () => {
  const run = runScenario(staleRead).result;
  const trace = run.trace;
  const without = (e: TraceEvent) => trace.filter((other) => other !== e);

  it('leaves the state digests out, and the messages of deliver, drop and hold', () => {
    expect(trace.some((e) => e.kind === 'state')).toBe(true);
    expect(traceHash(trace.filter((e) => e.kind !== 'state'))).toBe(run.hash);
    const named = trace.map((e) =>
      e.kind === 'deliver' || e.kind === 'drop' || e.kind === 'hold'
        ? { ...e, message: { type: 'OTHER' } }
        : e,
    );
    expect(traceHash(named)).toBe(run.hash);
  });

  it('changes with every other event: its time, its presence, its fields', () => {
    const hashes = new Set<string>([run.hash]);
    let counted = 1;
    for (const e of trace) {
      if (e.kind === 'state') continue;
      hashes.add(traceHash(trace.map((other) => (other === e ? { ...e, t: e.t + 1 } : other))));
      hashes.add(traceHash(without(e)));
      counted += 2;
      if (e.kind === 'send' || e.kind === 'record') {
        const changed =
          e.kind === 'send'
            ? { ...e, message: { ...e.message, extra: 1 } }
            : { ...e, observation: { ...e.observation, extra: 1 } };
        hashes.add(traceHash(trace.map((other) => (other === e ? changed : other))));
        counted++;
      }
    }
    expect(hashes.size).toBe(counted);
  });
});

describe('a client resending every millisecond', () => {
  it('settles: the digests no longer grow with the leader backlog (the run used to take minutes)', () => {
    const run = runScenario(staleRead, { knobs: { requestTimeout: '1' }, trace: 'hash' });
    expect(run.result.ending).toBe('quiescent');
    expect(run.result.events).toBeGreaterThan(100_000);
  });
});
