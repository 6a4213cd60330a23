// What keeps a long run readable in both views: a retransmission storm is one row with its count,
// and a step given to a busy client is marked where it was due. Counts and times come from the
// runs' own traces.

import { describe, expect, it } from 'vitest';
import followerDown from '../scenarios/follower-down-blocks-puts.ts';
import { paletteFor } from '../sim/render/colors.ts';
import { renderDiagram, timeline } from '../sim/render/diagram.ts';
import { formatTime } from '../sim/render/format.ts';
import { traceDocument } from '../sim/render/json.ts';
import { renderLog } from '../sim/render/log.ts';
import { runScenario, type Scenario } from '../sim/scenario.ts';

const plain = paletteFor({ isTTY: false }, {});

function docOf(scenario: Scenario) {
  const run = runScenario(scenario);
  return { run, doc: traceDocument(run, { file: 'x.ts', goal: scenario.goal, replay: '' }) };
}

describe('a retransmission storm', () => {
  const { doc } = docOf(followerDown);
  const timers = doc.events.filter(
    (e) =>
      e.kind === 'timer' &&
      JSON.stringify(e.timer).includes('replicationTimeout') &&
      e.node === 's1',
  );

  it('is one row with the count of its timers, in the page and the terminal alike', () => {
    expect(timers.length).toBeGreaterThan(10);
    const rows = timeline(doc).rows.filter(
      (r) => r.kind === 'event' && r.text.startsWith('s1 timer: replicationTimeout'),
    );
    expect(rows).toHaveLength(1);
    const last = formatTime(timers.at(-1)!.t);
    expect(rows[0]).toMatchObject({ detail: `×${timers.length}, the last at ${last}` });
    const lines = renderDiagram(plain, doc, { width: 120 }).join('\n');
    expect(lines).toContain(`×${timers.length}, the last at ${last}`);
  });
});

describe('a step given to a busy client', () => {
  const busy: Scenario = {
    goal: 'a sequential client asked to GET while its PUT is out',
    preset: 'fixed',
    network: { delayMinMs: 5, delayMaxMs: 5 },
    steps: [
      { at: 0, client: 'c1', put: ['x', '1'], via: 's1' },
      { at: 2, client: 'c1', get: 'x', via: 's2' },
    ],
  };
  const { run, doc } = docOf(busy);

  it('is marked at its due time with when it was issued', () => {
    const get = run.result.history.operations.find((o) => o.op === 'get')!;
    expect(get.invokedAt).toBeGreaterThan(2);
    const mark = `c1 busy: GET x (step 2) queued, issued at ${formatTime(get.invokedAt)}`;
    expect(doc.notes).toContainEqual({ at: 2, text: mark });
    expect(renderDiagram(plain, doc, { width: 120 }).join('\n')).toContain(mark);
  });

  it('is not marked when the client was free', () => {
    const free = docOf({ ...busy, steps: [busy.steps[0]!, { ...busy.steps[1]!, at: 500 }] });
    expect(free.doc.notes.filter((n) => n.text.includes('busy'))).toEqual([]);
  });
});

describe('the lock store', () => {
  const duplicated: Scenario = {
    goal: 'a duplicated ACQUIRE_LOCK under dedupe',
    store: 'lock',
    preset: 'fixed',
    network: { delayMinMs: 5, delayMaxMs: 5 },
    steps: [
      { at: 0, duplicate: 'ACQUIRE_LOCK', from: 'c1', to: 's1' },
      { at: 0, client: 'c1', put: ['x', '1'] },
    ],
  };

  it('says a grant replayed by the dedupe cache is not a new grant', () => {
    const { doc } = docOf(duplicated);
    const grants = timeline(doc).rows.filter(
      (r) => r.kind === 'event' && r.text.startsWith('LOCK_GRANTED'),
    );
    // One grant in the server's table, two LOCK_GRANTED on the wire: the second is the replay.
    expect(doc.history.locks.filter((l) => l.event === 'grant')).toHaveLength(1);
    expect(grants).toHaveLength(2);
    expect(
      grants.map((r) => r.kind === 'event' && r.detail.includes('replayed by the dedupe cache')),
    ).toEqual([false, true]);
  });

  it('shows no grant token under fencing=none, where none goes on the wire', () => {
    const { doc } = docOf({ ...duplicated, knobs: { fencing: 'none' } });
    const notes = timeline(doc).rows.filter(
      (r) => r.kind === 'event' && r.text.includes('grants the lock'),
    );
    expect(notes.length).toBeGreaterThan(0);
    for (const r of notes) expect(r.kind === 'event' && r.text).not.toMatch(/token/);
    const fenced = docOf(duplicated).doc;
    const fencedNotes = timeline(fenced).rows.filter(
      (r) => r.kind === 'event' && r.text.includes('grants the lock'),
    );
    for (const r of fencedNotes) expect(r.kind === 'event' && r.text).toMatch(/\(token \d+\)$/);
  });

  it('--view log shows the grants as the diagram does, with a token only under fencing', () => {
    const grants = (scenario: Scenario) =>
      renderLog(paletteFor({ isTTY: false }, {}), runScenario(scenario), 200).filter((l) =>
        l.includes('grants the lock'),
      );
    const unfenced = grants({ ...duplicated, knobs: { fencing: 'none' } });
    expect(unfenced.length).toBeGreaterThan(0);
    for (const line of unfenced) expect(line).not.toMatch(/token/);
    for (const line of grants(duplicated)) expect(line).toMatch(/\(token \d+\)$/);
  });
});
