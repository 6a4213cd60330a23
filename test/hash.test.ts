// The trace hash computed without building text: for any JSON-like value (hostile strings,
// odd numbers, holes, undefined fields, Maps) it equals the hash of JSON.stringify's text, and so
// do the state digests a hash-only run hashes directly.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringTable } from '../protocol/core.ts';
import type { PendingOp } from '../protocol/replicated/client.ts';
import {
  type ClientState,
  initialClientState,
  initialServerState,
  type ServerState,
  type Write,
} from '../protocol/replicated/index.ts';
import staleRead from '../scenarios/stale-read.ts';
import { TextHash } from '../sim/kernel/hash.ts';
import { runScenario } from '../sim/scenario.ts';
import {
  hashClientSummary,
  hashServerSummary,
  summarizeClient,
  summarizeServer,
} from '../sim/stores/replicated.ts';

const viaText = (v: unknown) => new TextHash().update(JSON.stringify(v)).hex();
const direct = (v: unknown) => new TextHash().json(v).hex();

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

describe('TextHash.json', () => {
  it('hashes the same characters as JSON.stringify', () => {
    fc.assert(
      fc.property(value, (v) => {
        if (v === undefined) return;
        expect(direct(v)).toBe(viaText(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('counts the characters it hashed', () => {
    fc.assert(
      fc.property(value, (v) => {
        if (v === undefined) return;
        expect(new TextHash().json(v).chars).toBe(JSON.stringify(v).length);
      }),
      { numRuns: 300 },
    );
  });

  it('writes Maps, holes, undefined fields and objects with toJSON as JSON does', () => {
    const odd = [
      { a: undefined, b: () => 1, c: new Map([['k', 1]]), d: [undefined, 3] },
      { when: { toJSON: () => 'then' } },
      { 2: 'two', 1: 'one', b: 'b', a: 'a' },
    ];
    const holes = [1, 2, 3];
    delete holes[1];
    for (const v of [...odd, holes]) expect(direct(v)).toBe(viaText(v));
  });
});

describe('state digests hashed without building them', () => {
  const server = (keys: string[]): ServerState => ({
    ...initialServerState(),
    store: new Map(
      keys.map((k, i) => [k, { value: i % 2 ? null : `v${i}`, ts: i, origin: 'c1.1' }]),
    ),
    writes: StringTable.empty<Write>()
      .with('w2', {} as Write)
      .with('w1', {} as Write),
  });
  const client = (keys: string[]): ClientState => ({
    ...initialClientState(),
    seen: new Map(keys.map((k, i) => [k, i * 7])),
    pending: new Map([
      ['c1.4', {} as PendingOp],
      ['c1.3', {} as PendingOp],
    ]),
  });
  const viaDigest = (digest: unknown) => new TextHash().update(JSON.stringify(digest)).hex();

  it('hash the text JSON.stringify writes for the digest, whatever the keys', () => {
    const keySets = [
      [],
      ['x'],
      ['x', 'y', 'z'],
      ['z', 'a', 'm'],
      ['10', '2', 'b'],
      ['__proto__', '"q"', '\n'],
      ['01', 'é'],
    ];
    for (const keys of keySets) {
      const s = server(keys);
      const direct = new TextHash();
      hashServerSummary(s, direct);
      expect(direct.hex()).toBe(viaDigest(summarizeServer(s)));
      const c = client(keys);
      const directClient = new TextHash();
      hashClientSummary(c, directClient);
      expect(directClient.hex()).toBe(viaDigest(summarizeClient(c)));
    }
  });

  it('a leader with thousands of writes in flight is summed up by their number, hashed the same', () => {
    let writes = StringTable.empty<Write>();
    for (let i = 0; i < 5_000; i++) writes = writes.with(`w${i}`, {} as Write);
    const s = { ...server(['x']), writes };
    expect(summarizeServer(s).replicating).toEqual(['5000 writes']);
    const direct = new TextHash();
    hashServerSummary(s, direct);
    expect(direct.hex()).toBe(viaDigest(summarizeServer(s)));
    // At 32 or fewer every write is still named, in order.
    expect(summarizeServer(server([])).replicating).toEqual(['w2', 'w1']);
  });
});

describe('a client resending every millisecond', () => {
  it('settles: the digests no longer grow with the leader backlog (the run used to take minutes)', () => {
    const run = runScenario(staleRead, { knobs: { requestTimeout: '1' }, trace: 'hash' });
    expect(run.result.ending).toBe('quiescent');
    expect(run.result.events).toBeGreaterThan(100_000);
  });
});
