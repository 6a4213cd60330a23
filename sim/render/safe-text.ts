// Text from a scenario or a trace, made safe to show: a key, value, note or node name is data, so
// no character of it may act on the terminal (escape sequences, OSC 52 clipboard writes, clearing
// the screen, C1 controls) or reorder what is shown (bidirectional overrides). Such characters are
// written as escapes (`\x1b`, `\u202e`), and a very long text is cut with an ellipsis. A word of a
// printed command is quoted so that a shell reads it back whole.

/**
 * Controls (C0, DEL, C1), format characters (bidirectional marks and overrides, zero-width ones),
 * line and paragraph separators, and lone surrogates.
 */
const UNSAFE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;

/** The same class as source text, for the page's script (which escapes the state it draws). */
export const UNSAFE_SOURCE = UNSAFE.source;

/** The longest text a view shows of one entry; a 1 MB key would otherwise fill the screen. */
export const DISPLAY_CHARS = 400;

/** The longest text a view wraps over several lines: a checker's sentence, not a 1 MB key. */
export const WRAPPED_CHARS = 1200;

function escapeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}

/** True when a text holds a character that would be shown escaped. */
export function hasUnsafeCharacters(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}

/** Every control or direction-changing character written as an escape. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** `text` cut to `max` characters, the last one an ellipsis, never splitting a surrogate pair. */
export function clip(text: string, max = DISPLAY_CHARS): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** What a view shows of a text from a run or a trace: escaped, then cut to a readable length. */
export function displayText(text: string, max = DISPLAY_CHARS): string {
  // Cut first (with room for escapes to lengthen it), so a huge text is never scanned whole.
  return clip(escapeControls(clip(text, max)), max);
}

/** Characters a shell word may hold unquoted: a path, a flag, `name=value`, `hold:s1:s3@10-50`. */
const SHELL_PLAIN = /^[A-Za-z0-9_./:=@%+,-]+$/;

/**
 * A word as a POSIX shell reads it back: as it is when it is plain, else in single quotes, so that
 * a printed command (the replay line) still runs when a path holds a space or a quote.
 */
export function shellWord(word: string): string {
  return SHELL_PLAIN.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
