// The page's script: step through the run, show each node's state at the selected step, explain a
// message or an operation on hover, and focus a failure's witness. It reads only the two JSON
// blocks embedded in the page (the trace document, its events packed, and the view model) and
// makes no requests.

(() => {
  /** The trace's events as html.ts packs them: an object as [shape, ...values], an array as [-1, ...]. */
  function unpackEvents({ shapes, events }) {
    const unpack = (value) => {
      if (!Array.isArray(value)) return value;
      if (value[0] === -1) return value.slice(1).map(unpack);
      // fromEntries makes own properties: a key such as "__proto__" stays a plain key.
      return Object.fromEntries(shapes[value[0]].map((key, i) => [key, unpack(value[i + 1])]));
    };
    return events.map(unpack);
  }
  const doc = JSON.parse(document.getElementById('kvsim-trace').textContent);
  doc.events = unpackEvents(doc.events);
  const view = JSON.parse(document.getElementById('kvsim-view').textContent);
  const svg = document.getElementById('diagram');
  const slider = document.getElementById('slider');
  const info = document.getElementById('step-info');
  const statePanel = document.getElementById('state');
  const tooltip = document.getElementById('tooltip');
  const panel = document.getElementById('panel');
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
  /** The page's steps, one per event row of the diagram (the view model lists them by field). */
  const steps = view.steps.traceIndex.map((traceIndex, k) => ({
    traceIndex,
    stateUntil: view.steps.stateUntil[k],
    text: view.steps.text[k],
    lanes: view.steps.lanes[k],
  }));

  /** Per step: each node's latest state digest and whether it is down, once the step is over. */
  function snapshots() {
    const out = [];
    // No prototype: a node named `constructor` or `toString` must not read one of its fields.
    const table = (from) => Object.assign(Object.create(null), from);
    const summary = table({});
    const down = table({});
    let next = 0;
    for (let k = 0; k < steps.length; k++) {
      const end = steps[k].stateUntil;
      for (; next < end; next++) {
        const e = doc.events[next];
        if (e.kind === 'state') summary[e.node] = e.summary;
        if (e.kind === 'fault' && e.fault.kind === 'crash') down[e.fault.node] = true;
        if (e.kind === 'fault' && e.fault.kind === 'restart') down[e.fault.node] = false;
      }
      out.push({ summary: table(summary), down: table(down) });
    }
    return out;
  }
  const states = snapshots();

  /**
   * The diagram's elements by the chunk of rows that holds them, each with the step of its event
   * and the step its message left at: a chunk is restyled for the selected step when it is drawn,
   * so that a step (or a jump across the whole run) touches only the rows in view.
   */
  function fileByChunk() {
    const filed = new Map();
    for (const el of svg.querySelectorAll('.chunk [data-step]')) {
      const chunk = el.closest('.chunk');
      if (!filed.has(chunk)) filed.set(chunk, { at: -1, entries: [] });
      const step = Number(el.dataset.step);
      if (el.classList.contains('row-bg')) rowOfStep.set(step, el);
      if (el.classList.contains('label')) labelOfStep.set(step, el);
      const from = el.dataset.fromStep === undefined ? step : Number(el.dataset.fromStep);
      filed.get(chunk).entries.push({ el, step, from });
    }
    return filed;
  }
  /** Each step's row background, and every element that is part of a witness: found once, here. */
  const rowOfStep = new Map();
  /** Each step's words at the right of its row: the keyboard's last column. */
  const labelOfStep = new Map();
  const witnesses = [...svg.querySelectorAll('[data-h]')];
  const filed = fileByChunk();
  let current = -1;
  /** The diagram's one tab stop (keyboardGrid), and the cell it is at: row -1 is the lane names. */
  const keys = { rover: null, row: -1, col: 0 };
  /** Nodes whose state card is folded to its title. */
  const collapsed = new Set();
  /** The lane filter: null shows every node. */
  let shownNodes = null;

  const unsafe = new RegExp(view.display.unsafe, 'gu');
  /** The smallest the diagram is drawn to fit a narrow window, as a part of its own size. */
  const MIN_SCALE = 0.75;

  /** A text from the trace as shown: controls and bidi overrides escaped (\x1b, \u202e), cut. */
  function shown(text) {
    const s = String(text);
    const cut = s.length > view.display.chars ? `${s.slice(0, view.display.chars - 1)}…` : s;
    return cut.replace(unsafe, (ch) => {
      const code = ch.codePointAt(0);
      if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
      return code <= 0xffff
        ? `\\u${code.toString(16).padStart(4, '0')}`
        : `\\u{${code.toString(16)}}`;
    });
  }

  /** Every text the script draws goes through `shown` and textContent: data never becomes markup. */
  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = shown(text);
    return el;
  }

  function table(headings, rows) {
    const t = element('table');
    const head = element('tr');
    for (const h of headings) head.append(element('th', '', h));
    t.append(head);
    for (const r of rows) t.append(r);
    return t;
  }

  function cell(tr, className, text, changed) {
    tr.append(element('td', changed ? `${className} changed` : className, text));
  }

  function serverRows(summary, before) {
    return Object.entries(summary.store).map(([key, v]) => {
      const old = before?.store?.[key];
      const tr = element('tr');
      tr.dataset.key = key;
      const changed = old === undefined || old.ts !== v.ts || old.value !== v.value;
      cell(tr, 'key', key, false);
      cell(
        tr,
        v.value === null ? 'value tombstone' : 'value',
        v.value === null ? '⊥ deleted' : v.value,
        changed,
      );
      cell(tr, 'ts', String(v.ts), changed);
      return tr;
    });
  }

  function clientRows(summary, before) {
    return Object.entries(summary.seen).map(([key, ts]) => {
      const tr = element('tr');
      tr.dataset.key = key;
      cell(tr, 'key', key, false);
      cell(tr, 'ts', String(ts), before?.seen?.[key] !== ts);
      return tr;
    });
  }

  /** A digest past its size lists no key, only how many there are. */
  function tooMany(keys) {
    return typeof keys === 'number' ? `${keys} keys: too many to list at every step` : null;
  }

  /** What a server is busy with: the replicated store's writes in flight, the lock store's locks. */
  function serverExtras(summary) {
    const lines = [];
    if (summary.replicating?.length > 0)
      lines.push(`replicating: ${summary.replicating.join(', ')}`);
    for (const [key, lock] of Object.entries(summary.locks ?? {})) {
      const until = lock.expiresAt === null ? '' : `, until ${formatTime(lock.expiresAt)}`;
      // Under fencing=none the grant's number stays in the server: no token goes on the wire.
      const token = doc.knobs.fencing === 'none' ? '' : `token ${lock.token}`;
      const about = `${token}${token && until ? until : until.slice(2)}`;
      lines.push(`lock ${key}: held by ${lock.holder}${about ? ` (${about})` : ''}`);
    }
    return lines;
  }

  function nodeCard(id, state, before) {
    const node = nodes.get(id);
    const summary = state.summary[id];
    const folded = collapsed.has(id);
    const card = element(
      'div',
      `node ${node.role}${state.down[id] ? ' down' : ''}${folded ? ' folded' : ''}`,
    );
    card.dataset.node = id;
    const title = element('h3', '', id);
    const fold = element('button', 'fold-card', folded ? '+' : '−');
    fold.type = 'button';
    fold.title = folded ? `show ${id}'s state` : `fold ${id}'s card`;
    fold.addEventListener('click', (event) => {
      event.stopPropagation();
      if (collapsed.has(id)) collapsed.delete(id);
      else collapsed.add(id);
      renderState(current);
    });
    title.append(fold);
    title.append(
      element(
        'span',
        'role',
        node.role === 'client'
          ? 'client'
          : node.leader
            ? 'leader'
            : doc.store === 'lock'
              ? 'server'
              : 'follower',
      ),
    );
    if (state.down[id]) title.append(element('span', 'down-badge', 'down'));
    card.append(title);
    if (summary === undefined || folded) return card;
    // A node down shows what it held when it crashed: a server with durability=memory lost it.
    if (state.down[id])
      card.append(
        element(
          'p',
          'extra',
          summary.store !== undefined && doc.knobs.durability === 'memory'
            ? 'as it stood at its crash; durability=memory keeps none of it'
            : 'as it stood at its crash',
        ),
      );
    if (summary.store !== undefined) {
      const rows = serverRows(summary, before);
      card.append(
        rows.length > 0
          ? table(['key', 'value', 'ts'], rows)
          : element('p', 'empty', tooMany(summary.keys) ?? 'holds nothing'),
      );
      for (const line of serverExtras(summary)) card.append(element('p', 'extra', line));
    } else if (summary.seen !== undefined) {
      const rows = clientRows(summary, before);
      card.append(
        rows.length > 0
          ? table(['key', 'seen ts'], rows)
          : element('p', 'empty', tooMany(summary.keys) ?? 'has seen nothing'),
      );
      card.append(
        element(
          'p',
          'extra',
          summary.pending.length > 0 ? `pending: ${summary.pending.join(', ')}` : 'nothing pending',
        ),
      );
    } else {
      card.append(element('pre', 'raw', JSON.stringify(summary)));
    }
    return card;
  }

  function renderState(k) {
    const state = states[k];
    const before = k > 0 ? states[k - 1].summary : Object.create(null);
    const shownLanes = view.lanes.filter((id) => shownNodes === null || shownNodes.has(id));
    statePanel.replaceChildren(...shownLanes.map((id) => nodeCard(id, state, before[id])));
    fitPanel();
  }

  /**
   * Side panel when the diagram leaves room for it, else docked at the bottom of the window. It
   * reads no layout (a big diagram's layout costs seconds): the widths are the SVG's attribute and
   * the window's, and the docked panel's height arrives through a ResizeObserver.
   */
  function fitPanel() {
    const room = window.innerWidth - 64;
    const dock = svg.width.baseVal.value + 400 > room;
    document.body.classList.toggle('dock', dock);
  }

  /** Restyles a chunk's elements for the selected step: before it, in flight, at it, or yet to come. */
  function markChunk(chunk) {
    const marks = filed.get(chunk);
    if (marks === undefined || marks.at === current) return;
    marks.at = current;
    for (const { el, step, from } of marks.entries) {
      el.classList.toggle('future', from > current);
      el.classList.toggle('inflight', from <= current && step > current);
      el.classList.toggle('current', step === current);
    }
  }

  function markTimeline() {
    for (const chunk of filed.keys()) if (chunk.isConnected) markChunk(chunk);
  }

  /**
   * A big run's diagram (class `lazy`) comes in chunks of rows, and only those near the window are
   * in the document: the browser then styles, lays out and paints only them (a hidden SVG element
   * still costs a layout, so the others are taken out, and put back in their layer when in view).
   * Each chunk names the height it spans (its rows, and the arrows that end in them).
   */
  const lazy = svg.classList.contains('lazy');
  const chunks = lazy
    ? [...svg.querySelectorAll('.chunk')].map((el) => ({
        el,
        layer: el.parentNode,
        y0: Number(el.dataset.y0),
        y1: Number(el.dataset.y1),
      }))
    : [];
  for (const c of chunks) c.el.remove();
  let drawing = false;

  function draw(c, wanted) {
    if (wanted === c.el.isConnected) return;
    if (!wanted) {
      // The diagram's one tab stop stays in the page, so that Tab still finds it.
      if (!c.el.contains(keys.rover)) c.el.remove();
      return;
    }
    c.layer.append(c.el);
    markChunk(c.el);
  }

  function drawInView() {
    drawing = false;
    const box = svg.getBoundingClientRect();
    const scale = box.height / svg.height.baseVal.value || 1;
    // A window's height of rows above and below, so that scrolling finds them drawn.
    const top = (-box.top - window.innerHeight) / scale;
    const bottom = (2 * window.innerHeight - box.top) / scale;
    for (const c of chunks) draw(c, c.y1 >= top && c.y0 <= bottom);
  }

  function drawSoon() {
    if (!lazy || drawing) return;
    drawing = true;
    requestAnimationFrame(drawInView);
  }

  /** Draws the chunk that holds an element (in both layers), so that it can be measured and scrolled to. */
  function reveal(el) {
    const chunk = el?.closest('.chunk');
    if (!lazy || !chunk) return;
    for (const c of chunks) if (c.el.dataset.chunk === chunk.dataset.chunk) draw(c, true);
  }

  /** Scrolls only when the step's row nears an edge, so that stepping does not jolt the page. */
  function keepInView(row) {
    if (!row) return;
    reveal(row);
    const box = row.getBoundingClientRect();
    const visible = window.innerHeight - covered();
    const margin = Math.min(160, visible / 4);
    if (box.top < margin || box.bottom > visible - margin) centre(box);
  }

  /**
   * Whether a row lies wholly in what the window shows of the page: below what is fixed to its top
   * (the lane names, the lab's step-by-hand buttons: `data-covers="top"`) and above the docked panel.
   */
  function inSight(row) {
    if (!row?.isConnected) return false;
    const box = row.getBoundingClientRect();
    // A pixel's slack: a scroll lands on whole pixels, a row's edge may not.
    const top = coveredTop() - 1;
    return box.height > 0 && box.top >= top && box.bottom <= window.innerHeight - covered() + 1;
  }

  /** Scrolls just enough to show a row that is not in sight, up or down only; else nothing. */
  function nudgeIntoView(row) {
    if (!row) return;
    reveal(row);
    if (inSight(row)) return;
    const box = row.getBoundingClientRect();
    // A little room beyond the row, so that it does not sit flush against what covers the rest.
    const top = coveredTop() + 8;
    const bottom = window.innerHeight - covered() - 8;
    window.scrollBy(0, box.top < top ? box.top - top : box.bottom - bottom);
  }

  /** The height of what is fixed to the window's top and shown. */
  function coveredTop() {
    let bottom = 0;
    for (const el of document.querySelectorAll('[data-covers="top"]')) {
      if (!el.hidden) bottom = Math.max(bottom, el.getBoundingClientRect().bottom);
    }
    return bottom;
  }

  /** The height the docked panel covers at the bottom of the window (none beside the diagram). */
  function covered() {
    return document.body.classList.contains('dock') ? panel.offsetHeight : 0;
  }

  /**
   * Scrolls the window (only up or down: the lanes stay where they are) so that a box sits in the
   * middle of what the docked panel leaves visible.
   */
  function centre(box) {
    const visible = window.innerHeight - covered();
    window.scrollBy(0, box.top + box.height / 2 - visible / 2);
  }

  /**
   * The address keeps the step (`#step=12`, 1-based) beside anything else in it (the lab's). A
   * step before the first (`#step=0`) is the first, as one past the last is the last.
   */
  function fragmentStep() {
    const raw = new URLSearchParams(window.location.hash.slice(1)).get('step');
    const n = raw === null || raw.trim() === '' ? Number.NaN : Number(raw);
    return Number.isInteger(n) ? Math.max(0, n - 1) : null;
  }

  /**
   * Writes one field of the address (`value` null: takes it out), beside the others, kept
   * readable (`:`, `,`, `@`, `=` as typed). `push`: a new entry of the browser's history, which
   * Back takes back (the lab's edits); else the entry shown is rewritten (a step).
   */
  function writeFragment(name, value, push) {
    const params = new URLSearchParams(window.location.hash.slice(1));
    if (value === null) params.delete(name);
    else params.set(name, value);
    const text = params
      .toString()
      .replace(/%3A/gi, ':')
      .replace(/%2C/gi, ',')
      .replace(/%40/gi, '@')
      .replace(/%3D/gi, '=');
    const hash = text === '' ? '' : `#${text}`;
    const next = hash === '' ? window.location.pathname : hash;
    if (push && window.location.hash !== hash) history.pushState(null, '', next);
    else history.replaceState(null, '', next);
  }

  function writeFragmentStep(k) {
    writeFragment('step', String(k + 1), false);
  }

  function setStep(k, scroll) {
    if (steps.length === 0) return;
    k = Math.max(0, Math.min(steps.length - 1, k));
    // Already there: brought into view if asked (the lab's "see it in the diagram").
    if (k === current) {
      if (scroll) keepInView(rowOfStep.get(k));
      return;
    }
    const was = current;
    current = k;
    if (was >= 0) writeFragmentStep(k);
    slider.value = String(k);
    const step = steps[k];
    info.dataset.step = String(k);
    info.dataset.traceIndex = String(step.traceIndex);
    const t = doc.events[step.traceIndex].t;
    // The last step's state is the run's end: later, if what followed only repeated rows above
    // (a storm folded into its first row) or the run was cut at its time bound.
    const end =
      k === steps.length - 1 && doc.run.endedAt > t
        ? element(
            'div',
            'end',
            `the cards show the state at the run's end, ${formatTime(doc.run.endedAt)}`,
          )
        : '';
    info.replaceChildren(
      element('b', '', `Step ${k + 1} of ${steps.length}`),
      ` · ${formatTime(t)}`,
      element('div', 'what', step.text),
      end,
    );
    markTimeline();
    renderState(k);
    if (scroll) keepInView(rowOfStep.get(k));
  }

  /** Virtual time as the diagram prints it: seconds.milliseconds (sim/render/format.ts). */
  function formatTime(ms) {
    const abs = Math.abs(ms);
    return `${ms < 0 ? '-' : ''}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}s`;
  }

  /** A field's value for the tooltip (`shown` escapes and cuts it when drawn). */
  const field = (value) =>
    value === null ? '∅' : typeof value === 'string' ? value : (JSON.stringify(value) ?? '');

  const MESSAGE_EVENTS = new Set(['send', 'deliver', 'drop', 'duplicate', 'hold']);
  let messageFields = null;

  /** Each message's story (who sent it, when, what became of it) and its fields, for the tooltip. */
  function messageStory(id) {
    if (messageFields === null) {
      messageFields = new Map();
      for (const e of doc.events) {
        if (!MESSAGE_EVENTS.has(e.kind)) continue;
        let fields = messageFields.get(String(e.id));
        if (fields === undefined) {
          const body = Object.entries(e.message ?? {}).map(([k, v]) => [k, field(v)]);
          fields = [['message', `#${e.id}`], ['link', `${e.from} → ${e.to}`], ...body];
          messageFields.set(String(e.id), fields);
        }
        const what = {
          send: 'sent',
          deliver: 'delivered',
          drop: `dropped (${e.reason})`,
          duplicate: `sent (a copy of #${e.of})`,
          hold: 'held on the link',
        };
        fields.push([what[e.kind], formatTime(e.t)]);
      }
    }
    return messageFields.get(id);
  }

  function operationFields(id) {
    const o = doc.history.operations.find((op) => String(op.id) === id);
    if (o === undefined) return undefined;
    const what = `${o.client} ${o.op.toUpperCase()} ${o.key}${o.value === null ? '' : `=${o.value}`}`;
    return [
      ['operation', `op ${o.id}: ${what}`],
      ['request', field(o.requestId)],
      ['issued', formatTime(o.invokedAt)],
      [
        'completed',
        o.completedAt !== null
          ? formatTime(o.completedAt)
          : o.abandonedAt !== null && o.abandonedAt !== undefined
            ? `never: abandoned when ${o.client} crashed at ${formatTime(o.abandonedAt)}`
            : 'pending',
      ],
      ['reply', field(o.reply)],
      ['server', field(o.server)],
      ['result', field(o.result)],
      ['ts', field(o.ts)],
    ];
  }

  function showTooltip(target, x, y) {
    const msg = target.dataset.msg;
    const op = target.dataset.op;
    const fields =
      msg !== undefined ? messageStory(msg) : op !== undefined ? operationFields(op) : undefined;
    if (fields === undefined) return;
    const rows = fields.map(([name, value]) => {
      const tr = element('tr');
      tr.append(element('th', '', name), element('td', '', value));
      return tr;
    });
    tooltip.replaceChildren(element('table', '', undefined));
    tooltip.firstChild.append(...rows);
    tooltip.hidden = false;
    const left = Math.min(x + 18, window.innerWidth - tooltip.offsetWidth - 8);
    tooltip.style.left = `${Math.max(8, left)}px`;
    tooltip.style.top = `${y + 18}px`;
  }

  /** The elements a focused witness lit up, to be put out when another is chosen. */
  const focused = [];

  function focusWitness(h) {
    const already = document.body.dataset.focus === String(h);
    for (const el of focused.splice(0)) el.classList.remove('focus');
    for (const el of document.querySelectorAll('.witness-link')) el.classList.remove('active');
    if (already) {
      delete document.body.dataset.focus;
      return;
    }
    document.body.dataset.focus = String(h);
    document.querySelector(`.witness-link[data-h="${h}"]`)?.classList.add('active');
    const witness = witnesses.filter((el) => el.dataset.h.split(' ').includes(String(h)));
    for (const el of witness) {
      const row = rowOfStep.get(Number(el.dataset.step));
      focused.push(el, ...(row ? [row] : []));
    }
    for (const el of focused) el.classList.add('focus');
    const last = view.highlights[h].lastStep;
    if (last !== null) setStep(last, false);
    if (witness.length === 0) return;
    reveal(witness[0]);
    // Into view across (a label may lie right of the window), then into the visible middle.
    witness[0].scrollIntoView({ block: 'nearest', inline: 'nearest' });
    centre(witness[0].getBoundingClientRect());
  }

  /** Checkboxes that show only some nodes: their cards, and the rows that involve them. */
  function laneFilter() {
    const box = document.getElementById('lane-filter');
    if (!box) return;
    const apply = () => {
      const picked = [...box.querySelectorAll('input:checked')].map((i) => i.value);
      shownNodes = picked.length === view.lanes.length ? null : new Set(picked);
      const wantedLanes = new Set(picked.map((id) => view.lanes.indexOf(id)));
      // Every row's elements, drawn or not (a big run's chunks out of view are not in the page).
      for (const { entries } of filed.values()) {
        for (const { el, step } of entries) {
          const involved = steps[step].lanes;
          el.classList.toggle(
            'filtered',
            shownNodes !== null && !involved.some((lane) => wantedLanes.has(lane)),
          );
        }
      }
      for (const el of svg.querySelectorAll('[data-node]')) {
        el.classList.toggle('filtered', shownNodes !== null && !shownNodes.has(el.dataset.node));
      }
      if (current >= 0) renderState(current);
    };
    for (const id of view.lanes) {
      const input = element('input');
      input.type = 'checkbox';
      input.value = id;
      input.checked = true;
      input.addEventListener('change', apply);
      const label = element('label', 'lane-choice');
      label.append(input, id);
      box.append(label);
    }
    const all = element('button', 'lane-all', 'all');
    all.type = 'button';
    all.addEventListener('click', () => {
      for (const input of box.querySelectorAll('input')) input.checked = true;
      apply();
    });
    box.append(all);
  }

  /** The lane names stay in view at the top of the window while the diagram scrolls under them. */
  function stickyLanes() {
    const wrap = document.getElementById('diagram-wrap');
    const bar = element('div', 'lane-bar');
    bar.hidden = true;
    bar.dataset.covers = 'top';
    const heads = [...svg.querySelectorAll('.lane-head')].slice(0, view.lanes.length);
    const names = heads.map((head) => {
      const name = element('span', 'lane-bar-name', head.dataset.node);
      // The lab opens a node's menu from its name here too.
      name.dataset.node = head.dataset.node;
      bar.append(name);
      return { name, x: Number(head.querySelector('.lane-name').getAttribute('x')) };
    });
    document.body.append(bar);
    const place = () => {
      const box = svg.getBoundingClientRect();
      const show = box.top < -40 && box.bottom > 80;
      bar.hidden = !show;
      if (!show) return;
      const edge = wrap.getBoundingClientRect();
      bar.style.left = `${edge.left}px`;
      bar.style.width = `${edge.width}px`;
      // The diagram may be drawn smaller than its own size (a narrow window): x scales with it.
      const scale = box.width / svg.width.baseVal.value || 1;
      for (const { name, x } of names) name.style.left = `${box.left - edge.left + x * scale}px`;
    };
    window.addEventListener('scroll', place, { passive: true });
    wrap.addEventListener('scroll', place, { passive: true });
    window.addEventListener('resize', place);
  }

  /**
   * The diagram from the keyboard: one tab stop that moves (a roving tabindex, as in ARIA's grid
   * pattern), over a grid whose first row is the lane names and the others the steps' rows, and
   * whose columns are the lanes and then the row's words (its message, if it has one). The arrow
   * keys move it (a row moved to is the selected step), Home / End to the row's first and last
   * column, Page Up / Down by ten rows, Ctrl+Home / End to the first and last; Enter or Space
   * does what a click there does (in the lab: the message's or the node's menu). A lane at a row
   * has no element of its own: one rect stands for it while it has the focus.
   */
  function keyboardGrid() {
    const ns = 'http://www.w3.org/2000/svg';
    const heads = [...svg.querySelectorAll('.lane-head')].slice(0, view.lanes.length);
    if (heads.length === 0) return;
    const laneX = heads.map((h) => Number(h.querySelector('.lane-name').getAttribute('x')));
    const laneW = heads.length > 1 ? laneX[1] - laneX[0] : 60;
    const layer = document.createElementNS(ns, 'g');
    layer.setAttribute('class', 'keys');
    const cell = document.createElementNS(ns, 'rect');
    cell.setAttribute('class', 'key-cell');
    const mark = document.createElementNS(ns, 'rect');
    mark.setAttribute('class', 'key-mark');
    mark.setAttribute('rx', '5');
    mark.style.display = 'none';
    layer.append(cell, mark);
    svg.append(layer);
    // With the script the diagram is a set of controls, not one picture.
    svg.setAttribute('role', 'group');
    // Its own stop is the rover below: not the diagram as a whole.
    svg.setAttribute('tabindex', '-1');
    svg.setAttribute(
      'aria-label',
      'space-time diagram: arrow keys move between lanes and rows, Enter or Space picks',
    );
    heads.forEach((h, k) => {
      h.setAttribute('role', 'button');
      h.setAttribute('aria-label', `${shown(view.lanes[k])}'s lane`);
    });
    const lastCol = view.lanes.length;

    /** The element of a cell: a lane name, a row's words, or the rect standing for a lane at a row. */
    function target(row, col) {
      if (row < 0) return heads[Math.min(col, heads.length - 1)];
      if (col === lastCol) return labelOfStep.get(row);
      const bg = rowOfStep.get(row);
      const x = laneX[col] - Math.min(laneW - 8, 44) / 2;
      cell.setAttribute('x', String(x));
      cell.setAttribute('y', bg.getAttribute('y'));
      cell.setAttribute('width', String(Math.min(laneW - 8, 44)));
      cell.setAttribute('height', bg.getAttribute('height'));
      cell.dataset.node = view.lanes[col];
      const t = doc.events[steps[row].traceIndex].t;
      cell.setAttribute('aria-label', `${shown(view.lanes[col])} at ${formatTime(t)}`);
      return cell;
    }

    function rove(el) {
      if (keys.rover !== null && keys.rover !== el) keys.rover.removeAttribute('tabindex');
      keys.rover = el;
      el.setAttribute('tabindex', '0');
    }

    /** Scrolls the diagram's frame sideways (the window up or down) just enough to show `el`. */
    function bringIntoView(el, row) {
      if (row >= 0) keepInView(rowOfStep.get(row));
      else el.scrollIntoView({ block: 'nearest' });
      const wrap = document.getElementById('diagram-wrap');
      const box = el.getBoundingClientRect();
      const frame = wrap.getBoundingClientRect();
      if (box.right > frame.right)
        wrap.scrollLeft += Math.min(box.right, box.left + frame.width - 16) - frame.right + 8;
      else if (box.left < frame.left) wrap.scrollLeft -= frame.left - box.left + 8;
    }

    function moveTo(row, col) {
      row = Math.max(-1, Math.min(steps.length - 1, row));
      col = Math.max(0, Math.min(row < 0 ? lastCol - 1 : lastCol, col));
      keys.row = row;
      keys.col = col;
      if (row >= 0) setStep(row, false);
      const el = target(row, col);
      reveal(el);
      rove(el);
      el.focus({ preventScroll: true });
      bringIntoView(el, row);
      showMark(el);
    }

    /** The focus mark: a frame round the focused cell, drawn only for the keyboard's focus. */
    function showMark(el) {
      if (document.activeElement !== el || !el.matches(':focus-visible')) {
        mark.style.display = 'none';
        return;
      }
      const box = el.getBBox();
      mark.setAttribute('x', String(box.x - 4));
      mark.setAttribute('y', String(box.y - 4));
      mark.setAttribute('width', String(box.width + 8));
      mark.setAttribute('height', String(box.height + 8));
      mark.style.display = '';
      const at = el.getBoundingClientRect();
      if (el.dataset.msg !== undefined) showTooltip(el, at.left, at.bottom - 18);
    }

    /** A click at the cell's middle, as the mouse would make it (detail 0: from the keyboard). */
    function press(el) {
      tooltip.hidden = true;
      const box = el.getBoundingClientRect();
      el.dispatchEvent(
        new MouseEvent('click', {
          bubbles: true,
          cancelable: true,
          view: window,
          detail: 0,
          clientX: box.left + Math.min(box.width / 2, 40),
          clientY: box.top + box.height / 2,
        }),
      );
    }

    svg.addEventListener('keydown', (event) => {
      if (event.target !== keys.rover || event.altKey || event.metaKey) return;
      const { row, col } = keys;
      const ctrl = event.ctrlKey;
      const moves = {
        ArrowUp: [row - 1, col],
        ArrowDown: [row + 1, col],
        ArrowLeft: [row, col - 1],
        ArrowRight: [row, col + 1],
        Home: ctrl ? [-1, col] : [row, 0],
        End: ctrl ? [steps.length - 1, col] : [row, lastCol],
        PageUp: [row - 10, col],
        PageDown: [row + 10, col],
      };
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        event.stopPropagation();
        press(keys.rover);
        return;
      }
      if (!(event.key in moves) || (ctrl && event.key !== 'Home' && event.key !== 'End')) return;
      // The page's own keys (← → step through the run) are not for a focused diagram.
      event.preventDefault();
      event.stopPropagation();
      moveTo(...moves[event.key]);
    });
    // Tabbed into from elsewhere, the stop is on the selected step's row (it may have moved).
    svg.addEventListener('focusin', (event) => {
      if (event.target !== keys.rover) return;
      const from = event.relatedTarget;
      if (keys.row >= 0 && keys.row !== current && !(from instanceof Node && svg.contains(from)))
        moveTo(current, keys.col);
      else showMark(keys.rover);
    });
    svg.addEventListener('focusout', () => {
      mark.style.display = 'none';
      tooltip.hidden = true;
    });
    rove(heads[0]);
  }

  document.getElementById('first').addEventListener('click', () => setStep(0, true));
  document.getElementById('prev').addEventListener('click', () => setStep(current - 1, true));
  document.getElementById('next').addEventListener('click', () => setStep(current + 1, true));
  document.getElementById('last').addEventListener('click', () => setStep(steps.length - 1, true));
  slider.addEventListener('input', () => setStep(Number(slider.value), true));
  /** Where the arrow keys, Home and End are the box's own (the slider's too): the lab's number boxes. */
  const typing = 'input:not([type="checkbox"]):not([type="radio"]), select, textarea';
  document.addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target instanceof Element && event.target.closest(typing)) return;
    const moves = {
      ArrowLeft: current - 1,
      ArrowRight: current + 1,
      Home: 0,
      End: steps.length - 1,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    setStep(moves[event.key], true);
  });
  svg.addEventListener('click', (event) => {
    // A lane is drawn over the rows: a click on it selects the row under it too.
    const target =
      event.target.closest('[data-step]') ??
      document
        .elementsFromPoint(event.clientX, event.clientY)
        .find((el) => el.classList.contains('row-bg'));
    if (target) setStep(Number(target.dataset.step), false);
  });
  svg.addEventListener('mouseover', (event) => {
    const target = event.target.closest('[data-msg], [data-op]');
    if (target) showTooltip(target, event.clientX, event.clientY);
    else tooltip.hidden = true;
  });
  svg.addEventListener('mouseleave', () => {
    tooltip.hidden = true;
  });
  for (const link of document.querySelectorAll('.witness-link')) {
    link.addEventListener('click', () => focusWitness(Number(link.dataset.h)));
  }
  // The lab (sim/lab/) writes its edits into the address: `{ name, value, push }`.
  document.addEventListener('kvsim:address', (event) =>
    writeFragment(event.detail.name, event.detail.value, event.detail.push === true),
  );
  // The lab (sim/lab/) moves the diagram to a step of its choosing: `{ step, scroll }`; scroll
  // 'nudge' moves the window only if the row is not in sight, and only as far as that needs.
  document.addEventListener('kvsim:step', (event) => {
    const { step, scroll } = event.detail;
    setStep(Number(step), scroll === true);
    if (scroll === 'nudge') nudgeIntoView(rowOfStep.get(current));
  });
  // The lab asks whether the selected step's row is in sight: `{ inSight }`, answered in place.
  document.addEventListener('kvsim:in-sight', (event) => {
    event.detail.inSight = inSight(rowOfStep.get(current));
  });
  window.addEventListener('resize', fitPanel);
  window.addEventListener('scroll', drawSoon, { passive: true });
  window.addEventListener('resize', drawSoon);
  // In a window narrower than the diagram (1024 px, the panel docked under it) the diagram is
  // drawn smaller, so that the rows' words at its right are in sight without a sideways scroll;
  // no smaller than this, though (a crowd of lanes scrolls sideways rather than shrink unread).
  svg.style.minWidth = `${Math.round(svg.width.baseVal.value * MIN_SCALE)}px`;
  laneFilter();
  stickyLanes();
  keyboardGrid();
  fitPanel();
  const wanted = fragmentStep();
  setStep(wanted ?? steps.length - 1, wanted !== null);
  // A step typed into the address once the page is open goes there too (the page writes its own
  // steps with replaceState, which fires no hashchange).
  window.addEventListener('hashchange', () => {
    const k = fragmentStep();
    if (k !== null) setStep(k, true);
  });
  if (lazy) drawInView();
})();
