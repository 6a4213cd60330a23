// What the hostile-input tests check, shared by the fixed cases, the fuzz suite and the browser:
// hostile strings, a hostile trace made from a real one, "no raw control character reaches the
// terminal", and "no character of data became markup in the page".

import type { TraceDocument } from '../sim/render/json.ts';

/** Strings that attack a terminal or a page: escape sequences, OSC 52, C1, bidi, markup. */
export const HOSTILE = [
  '1"><img src=x onerror="window.__pwned=1">',
  "x'><script>window.__pwned=2</script>",
  '\u001b[2J\u001b[H cleared',
  '\u001b]52;c;cHduZWQ=\u0007 clipboard',
  '\u009b31m C1 CSI',
  'abc\u202egnp.exe \u2066isolate\u2069',
  'line\nbreak\r\ttab\u0000nul\u007fdel',
  '</script><script>window.__pwned=3</script>',
  '&amp; &lt; <!-- --> ]]>',
] as const;

/** Control characters and direction changers: none may reach a terminal raw. */
const RAW_CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
/** What chalk writes: SGR colour sequences, ESC [ n (; n)* m, and nothing else. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the ESC of a colour code.
const SGR = /\u001b\[[0-9;]*m/g;

/**
 * The first raw control character in terminal output, or null. `plain` is the same output without
 * colour: the coloured one may hold colour codes and nothing else, and must equal the plain one
 * once they are taken out (so a colour code smuggled in through data is caught in the plain one).
 */
export function terminalProblem(plain: string, coloured?: string): string | null {
  const bad = plain.replace(/\n/g, '').match(RAW_CONTROL);
  if (bad !== null)
    return `raw U+${bad[0].charCodeAt(0).toString(16)} in ${JSON.stringify(plain.slice(Math.max(0, bad.index! - 30), bad.index! + 30))}`;
  if (coloured !== undefined && coloured.replace(SGR, '') !== plain) {
    return 'the coloured output is not the plain output plus colour codes';
  }
  return null;
}

/** Every tag the page's template writes; any other tag came from data. */
const TAGS = new Set(
  'html head meta link title style body header h1 h2 p span code dl div dt dd b details summary ul li section button main svg g text tspan line path polygon circle rect aside input script'.split(
    ' ',
  ),
);
const TAG = /<(\/?)([a-z][a-z0-9]*)((?:\s+[a-z][a-zA-Z0-9-]*(?:="[^"<>]*")?)*)\s*\/?>/y;
const ATTRIBUTE = /\s+([a-z][a-zA-Z0-9-]*)(?:="([^"<>]*)")?/g;
/** Text and attribute values: no raw markup character, an ampersand only as one of our entities. */
const SAFE_TEXT = /^(?:[^<>"'&]|&(?:amp|lt|gt|quot|#39);)*$/;

/**
 * Where data escaped into markup in a page, or null. The style sheet and the page's script are
 * ours and skipped; the JSON blocks may hold no `<` at all (nothing can close them); everything
 * else must be our tags, with quoted attribute values, and text that holds no raw markup character.
 */
export function pageProblem(html: string): string | null {
  let rest = html.replace(/^<!doctype html>\n/, '');
  const blocks = [
    ...rest.matchAll(/<script type="application\/json" id="[a-z-]+">([\s\S]*?)<\/script>/g),
  ];
  for (const [, json] of blocks) if (json!.includes('<')) return 'a JSON block holds a raw <';
  rest = rest
    .replace(/(<style>)[\s\S]*?(<\/style>)/, '$1$2')
    .replace(/(<script[^>]*>)[\s\S]*?(<\/script>)/g, '$1$2');
  let at = 0;
  while (at < rest.length) {
    const next = rest.indexOf('<', at);
    const text = rest.slice(at, next === -1 ? rest.length : next);
    if (!SAFE_TEXT.test(text))
      return `raw markup character in text: ${JSON.stringify(text.slice(0, 80))}`;
    if (next === -1) break;
    TAG.lastIndex = next;
    const tag = TAG.exec(rest);
    if (tag === null) return `not one of our tags: ${JSON.stringify(rest.slice(next, next + 80))}`;
    if (!TAGS.has(tag[2]!)) return `a tag the template never writes: <${tag[2]}>`;
    for (const [, name, value] of tag[3]!.matchAll(ATTRIBUTE)) {
      if (name!.startsWith('on')) return `an event handler attribute: ${name}`;
      if (value !== undefined && !SAFE_TEXT.test(value) && name !== 'content') {
        return `raw markup character in ${name}="${value.slice(0, 80)}"`;
      }
    }
    at = next + tag[0].length;
  }
  return null;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A copy of `value` with every string passed through `rename` (keys of objects too). */
function mapStrings(value: Json, rename: (s: string) => string): Json {
  if (typeof value === 'string') return rename(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, rename));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [rename(k), mapStrings(v, rename)]),
    );
  }
  return value;
}

/**
 * A real trace with its node names, keys, values and notes replaced by hostile strings: every
 * string equal to one of `names` becomes `names[name]`, and every note and sentence gets `text`
 * appended. Still a valid trace (the renaming is consistent), so a view must render it.
 */
export function hostileDocument(
  doc: TraceDocument,
  names: Readonly<Record<string, string>>,
  text: string,
): TraceDocument {
  const renamed = mapStrings(JSON.parse(JSON.stringify(doc)) as Json, (s) =>
    Object.hasOwn(names, s) ? names[s]! : s,
  ) as unknown as { -readonly [K in keyof TraceDocument]: TraceDocument[K] };
  return {
    ...renamed,
    scenario: { file: `${renamed.scenario.file}${text}`, goal: `${renamed.scenario.goal}${text}` },
    notes: renamed.notes.map((n) => ({ ...n, text: `${n.text}${text}` })),
    verdicts: renamed.verdicts.map((v) => ({
      ...v,
      reason: v.reason === null ? null : `${v.reason}${text}`,
      violations: v.violations.map((w) => ({ ...w, sentence: `${w.sentence}${text}` })),
    })),
  };
}
