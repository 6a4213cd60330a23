// Every sentence the scenario checker and loader say to a user, in one place. Each is one line that
// names what is wrong and how to mend it; whatever the user wrote is quoted through `shown`, so a
// key, a note or a field name cannot put a control sequence on the terminal or break the line.

import { displayText, shellWord } from '../render/safe-text.ts';
import { carriesValue, type ReplyName } from './replies.ts';

export class ScenarioError extends Error {}

export { hasUnsafeCharacters } from '../render/safe-text.ts';

/** A text made safe for one line on a terminal: unsafe characters escaped, long texts cut. */
export function clean(text: string, max = 60): string {
  return displayText(text, max);
}

/** A user's text in quotes, made safe. */
export function shown(text: string): string {
  return `'${clean(text)}'`;
}

/** What a value is, for "(got …)": its text when it is short and simple, else its kind. */
export function described(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty list';
    // A short list of plain values is shown as written: `[1, 2]` says the key is not a text.
    const plain = (v: unknown) =>
      v === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof v);
    return value.length <= 4 && value.every(plain)
      ? `[${value.map(described).join(', ')}]`
      : `a list of ${value.length}`;
  }
  switch (typeof value) {
    case 'string':
      return shown(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      // `0n`, as written: a BigInt, which no field takes, not the number 0.
      return `${value}n`;
    case 'undefined':
      return 'nothing';
    case 'object':
      // A date has no fields of its own, and is no empty object to the one who wrote it.
      if (value instanceof Date) return 'a date';
      return Object.keys(value).length === 0 ? 'an empty object' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/**
 * The distance between two names counting a swap of neighbours as one edit (optimal string
 * alignment), so that `netwrok` is one edit from `network`.
 */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** The valid name nearest to a wrong one, when one is near enough to be what was meant. */
export function nearest(wrong: string, valid: readonly string[]): string | null {
  if (wrong.length > 64) return null;
  const lower = wrong.toLowerCase();
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(wrong.length / 3)) + 1;
  for (const name of valid) {
    const d = editDistance(lower, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** "; did you mean 'x'?" or "; the <what> are: a, b, c". */
function hint(wrong: string, valid: readonly string[], what: string): string {
  const near = nearest(wrong, valid);
  if (near !== null) return `; did you mean '${near}'?`;
  const listed = valid.length > 12 ? [...valid.slice(0, 12), '…'] : valid;
  return `; the ${what} are: ${listed.join(', ')}`;
}

const EXPORT_SHAPE = 'export default { goal, steps: [...] }';

/** The sentences, by what went wrong. `where` is "the scenario", "step 3", "network", … */
export const SAY = {
  notAScenario: (got: unknown) =>
    `the scenario file must default-export an object (${EXPORT_SHAPE}), not ${described(got)}`,
  noDefaultExport: () => `the scenario file has no default export; write ${EXPORT_SHAPE}`,
  notPlainData: () =>
    'the scenario must be plain data (objects, lists, texts, numbers, true/false), not functions, symbols or class instances',

  tooDeep: () =>
    "the scenario nests lists or objects thousands deep, too deep to be read; a scenario needs only a few levels (steps, a step, a put's [key, value])",
  unknownField: (field: string, where: string, valid: readonly string[]) =>
    `unknown field ${shown(field)} in ${where.replace(': ', "'s ")}${hint(field, valid, 'fields')}`,
  missingField: (field: string, where: string, example: string) =>
    `${where} needs '${field}', e.g. ${example}`,
  notObject: (where: string, example: string, got: unknown) =>
    `${where} must be an object such as ${example} (got ${described(got)})`,
  notList: (where: string, example: string, got: unknown) =>
    `${where} must be a list such as ${example} (got ${described(got)})`,
  listHole: (where: string, place: number) =>
    `${where} has nothing at place ${place} (a comma with nothing before it): remove that comma`,
  listLength: (where: string, min: number, max: number, got: number) =>
    `${where} must list ${min === max ? min : `${min} to ${max}`} items (got ${got})`,
  notText: (where: string, example: string, got: unknown) =>
    `${where} must be a text such as ${example} (got ${described(got)})`,
  emptyText: (where: string) => `${where} must not be empty`,
  stepTextsTooLong: (where: string, max: number, got: number) =>
    `${where} hold ${got} characters of text (notes, keys, values, names) in all; at most ${max} are allowed (the format's limit): shorten the notes, or use fewer steps`,
  textTooLong: (where: string, max: number, got: number) =>
    `${where} is ${got} characters long; at most ${max} are allowed (the format's limit)`,
  unsafeText: (where: string, text: string) =>
    `${where} contains a control or invisible character (${shown(text)}); use plain printable text`,
  notWholeNumber: (where: string, min: number, max: number, unit: string, got: unknown) =>
    `${where} must be a whole number${unit} from ${min} to ${max} (got ${described(got)})`,
  onlyTrue: (where: string, got: unknown) =>
    `${where} takes only true; leave it out rather than give ${described(got)}`,
  notInteger: (where: string, got: unknown) =>
    `${where} must be a whole number (got ${described(got)})`,
  notBoolean: (where: string, got: unknown) =>
    `${where} must be true or false (got ${described(got)})`,
  notOneOf: (where: string, got: unknown, valid: readonly string[], what: string) =>
    typeof got === 'string'
      ? `${where} is ${shown(got)}, not one of the ${what}${hint(got, valid, what)}`
      : `${where} must be one of ${valid.join(', ')} (got ${described(got)})`,

  noSteps: (where: string) =>
    `${where} is empty: give a run at least one step, e.g. steps: [{ at: 0, client: 'c1', put: ['x', '1'] }]`,
  stepAfterEnd: (step: number, at: number, until: number) =>
    `step ${step} is at ${at} ms, after runUntilMs (${until} ms), so the run would end before it; raise runUntilMs or take the step out`,
  stepDoesNothing: (where: string, actions: readonly string[]) =>
    `${where} does nothing: give it one of ${actions.join(', ')}`,
  stepDoesTwo: (where: string, actions: readonly string[]) =>
    `${where} names ${actions.join(' and ')}: give each its own step`,
  putShape: (where: string, got: unknown) =>
    `${where} takes a key and a value, e.g. put: ['x', '1'] (got ${described(got)})`,
  linkShape: (where: string, got: unknown) =>
    `${where} takes a link of two node names, e.g. ['s1', 's3'] (got ${described(got)})`,
  linkToItself: (where: string, node: string) =>
    `${where} is a link from ${shown(node)} to itself, which no message takes; name two nodes, e.g. ['s1', 's3']`,
  nodeTwiceInPartition: (where: string, node: string, first: number, second: number) =>
    first === second
      ? `${where} names ${shown(node)} twice in group ${first}; name it once`
      : `${where} names ${shown(node)} in groups ${first} and ${second}, so which of its links are cut is unclear; keep it in one group`,
  emptyExpectation: (where: string) =>
    `${where} names nothing; give a reply ('PUT_OK'), or { reply, value, server }, or { pending: true }`,
  pendingWithReply: (where: string) =>
    `${where} asks for pending and for a reply at once; keep one of them`,
  /**
   * An expected violation (or finding) that the store's checkers never report as one: `elsewhere`
   * when they report it as the other (a finding expected as a violation, or the reverse).
   */
  unjudgedExpectation: (
    where: string,
    field: 'violations' | 'findings',
    guarantee: string,
    store: string,
    elsewhere: boolean,
    listed: readonly string[],
  ) => {
    const other = field === 'violations' ? 'findings' : 'violations';
    if (elsewhere)
      return `${where} is ${guarantee}, which is ${field === 'violations' ? 'an informative finding, never a violation' : 'a guarantee, never an informative finding'}: list it under ${other}`;
    return `${where} is ${guarantee}, which the ${store} store's checkers never judge; its ${field} are ${listed.join(', ')}`;
  },
  impossibleExpectation: (
    where: string,
    want: { readonly reply?: string; readonly value?: string | null },
    op: string,
    endings: readonly ReplyName[],
    written: string | undefined,
  ) => {
    const value = (v: string | null | undefined) =>
      v === undefined ? '' : v === null ? ' with no value' : ` with value ${shown(v)}`;
    const carried = written === undefined ? 'the value read' : `value ${shown(written)}`;
    const valued = endings.filter(carriesValue);
    const bare = endings.filter((r) => !carriesValue(r));
    const ways = [
      ...valued.map((r) => `${r} with ${carried}`),
      ...(bare.length > 0 ? [`${bare.join(' or ')} with no value`] : []),
    ];
    return `${where} asks for ${want.reply ?? 'a reply'}${value(want.value)}, which a ${op.toUpperCase()} never ends with: it ends with ${ways.join(', or ')}`;
  },
  unknownReply: (where: string, reply: string, store: string, valid: readonly string[]) =>
    `${where} ${shown(reply)} is not a reply of the ${store} store${hint(reply, valid, 'replies')}`,
  unknownMessage: (where: string, type: string, store: string, valid: readonly string[]) =>
    `${where} ${shown(type)} is not a message of the ${store} store${hint(type, valid, 'messages')}; '*' aims at any message`,
  notAReply: (where: string, got: unknown) =>
    `${where} must be a reply name such as 'PUT_OK', or an object such as { reply: 'GET_OK', value: '1' } (got ${described(got)})`,

  notANode: (
    where: string,
    name: string,
    kind: 'node' | 'server' | 'client',
    valid: readonly string[],
  ) => `${where} ${shown(name)} is not a ${kind}${hint(name, valid, `${kind}s`)}`,
  badNodeName: (where: string, name: string) =>
    `${where} ${shown(name)} is not a usable node name; use a letter then letters, digits, '-' or '_' (e.g. s1, c2)`,
  nodeTwice: (name: string) => `node name ${shown(name)} is used twice`,
  nodesShape: (what: string, max: number, got: unknown) =>
    `${what} must be a count from 1 to ${max} or a list of 1 to ${max} names (got ${described(got)})`,
  knobValue: (where: string, allowed: string, got: unknown) =>
    `${where} must be ${allowed} (got ${described(got)})`,
  knobAsText: (where: string, allowed: string, got: string) =>
    `${where} must be ${allowed}, written as a number without quotes (got ${described(got)})`,

  inFile: (file: string, message: string) => `in '${clean(file)}': ${message}`,
  noFile: (file: string) =>
    `no scenario file at '${clean(file)}'; list the scenarios with: npm run sim -- --list`,
  aFolder: (file: string) =>
    `'${clean(file)}' is a folder; name one scenario file in it, or list them with: npm run sim -- --list ${shellWord(clean(file))}`,
  aTrace: (file: string) =>
    `'${clean(file)}' is a trace saved with --json, not a scenario; draw it with: npm run view -- ${shellWord(clean(file))}`,
  noListPath: (path: string) =>
    `no file or folder at '${clean(path)}'; --list takes scenario files or folders`,
  listTakesNoFlags: (flag: string, help: string) =>
    `--list takes only scenario files or folders, not --${flag}; ${help}`,
  listBroken: (broken: number, files: number) =>
    `${broken} of ${files} scenario files do not load (marked ✗ above)`,
  listEmpty: (paths: readonly string[], notRead: number) =>
    `no scenario files (.ts, .js, .mjs or .json) in ${paths.map((p) => `'${clean(p)}'`).join(', ')}${notRead > 0 ? ` (${notRead} other file${notRead === 1 ? '' : 's'} there ${notRead === 1 ? 'says' : 'say'} no goal)` : ''}`,
  listNotRead: () =>
    'not read: its text has no goal, so it is taken for no scenario, and not run; to load it anyway, name the file itself to --list',
  loadTimedOut: (file: string, ms: number, env: string) =>
    `the scenario '${clean(file)}' did not finish loading within ${ms} ms (does it loop at import?); set ${env}=<ms> to allow longer`,
  loadOutOfMemory: (file: string, mb: number, bytes: number) =>
    bytes > 16 * 2 ** 20
      ? `the scenario '${clean(file)}' ran out of memory while loading (limit ${mb} MB): its ${Math.round(bytes / 2 ** 20)} MB of text take more than that to compile; write a long script as a loop (steps: Array.from({ length: n }, (_, i) => …)) rather than one step a line`
      : `the scenario '${clean(file)}' ran out of memory while loading (limit ${mb} MB); does it build something without end at import?`,
  loadFailed: (file: string, why: string) =>
    `the scenario '${clean(file)}' could not be loaded: ${clean(why, 300)}`,
  badLoadTimeout: (env: string, got: string) =>
    `${env} must be a whole number of ms from 1 to 3600000 (got ${shown(got)})`,
} as const;
