// The lab's building blocks for the page: elements made with createElement and textContent only
// (never markup from data), and the plain one-line text of a trace event, as `--view log` writes it.

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
