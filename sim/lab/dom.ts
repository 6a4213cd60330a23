// The lab's building blocks for the page: elements made with createElement and textContent only
// (never markup from data), a list the keyboard walks, and the plain one-line text of a trace
// event, as `--view log` writes it.

import { Chalk } from 'chalk';
import type { TraceEvent } from '../kernel/trace.ts';
import { logLine } from '../render/log.ts';

type Child = Node | string | null | undefined | false;

/** An element with a class, attributes and children; strings become text, never markup. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; attrs?: Readonly<Record<string, string>> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class !== undefined) node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function button(text: string, onClick: () => void, className = 'lab-button'): HTMLElement {
  const b = el('button', { class: className, attrs: { type: 'button' } }, text);
  b.addEventListener('click', onClick);
  return b;
}

/**
 * A list whose rows the keyboard reaches at one tab stop (a roving tabindex): ↑ ↓ move it, Home /
 * End and Page Up / Down go further, and Enter or Space does what a click on the row does (a
 * click of detail 0, which the lab reads as the keyboard's). A row given the focus otherwise (the
 * lab's redraw gives it back) becomes the stop.
 */
export function rovingList(
  list: HTMLElement,
  /** The rows that take the focus: the list's items, or what each holds (a button, say). */
  rows: () => HTMLElement[] = () => [...list.children] as HTMLElement[],
): void {
  rows().forEach((row, i) => {
    row.tabIndex = i === 0 ? 0 : -1;
  });
  list.addEventListener('focusin', (event) => {
    for (const row of rows()) row.tabIndex = row === event.target ? 0 : -1;
  });
  list.addEventListener('keydown', (event) => {
    const items = rows();
    const at = items.indexOf(event.target as HTMLElement);
    if (at < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
    const row = items[at]!;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      const box = row.getBoundingClientRect();
      const point = {
        clientX: box.left + Math.min(box.width / 2, 40),
        clientY: box.top + box.height / 2,
      };
      row.dispatchEvent(
        new MouseEvent('click', { bubbles: true, view: window, detail: 0, ...point }),
      );
      return;
    }
    const moves: Record<string, number> = {
      ArrowUp: at - 1,
      ArrowDown: at + 1,
      Home: 0,
      End: items.length - 1,
      PageUp: at - 10,
      PageDown: at + 10,
    };
    const to = moves[event.key];
    if (to === undefined) return;
    // Not the page's keys as well (Home / End go to the diagram's first and last step).
    event.preventDefault();
    event.stopPropagation();
    items[Math.max(0, Math.min(items.length - 1, to))]?.focus();
  });
}

export function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const plain = new Chalk({ level: 0 });
const NO_FAILED: ReadonlySet<number> = new Set();

/** `45.035s  s1 → s3    REPLICATION w2 x=2 ts=25009 (sent 45.024s, msg 16)` */
export function eventText(e: TraceEvent): string {
  return (
    logLine(plain, e, NO_FAILED)
      ?.trim()
      .replace(/\s{2,}/g, '  ')
      // The terminal's ⏸ for a message held on its link is in none of the page's fonts (an empty
      // box on Debian's DejaVu): the page writes the diagram's own mark for a hold.
      .replace(/⏸/g, '‖') ?? ''
  );
}
