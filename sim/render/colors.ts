// Colour follows the terminal: none under NO_COLOR or when output is not a terminal, and
// FORCE_COLOR turns it on (for snapshots of the coloured form), or off when it is 0.

import { Chalk, type ChalkInstance } from 'chalk';

export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ChalkInstance {
  // FORCE_COLOR=0 (or false) turns colour off, as Node and chalk read it; an empty one is unset.
  const force = env.FORCE_COLOR;
  if (force === '0' || force === 'false') return new Chalk({ level: 0 });
  if (force !== undefined && force !== '') return new Chalk({ level: 1 });
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  return new Chalk({ level: stream.isTTY === true ? 1 : 0 });
}
