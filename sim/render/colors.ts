// Colour follows the terminal: none under NO_COLOR or when output is not a terminal, and
// FORCE_COLOR turns it on (for snapshots of the coloured form).

import { Chalk, type ChalkInstance } from 'chalk';

export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): ChalkInstance {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return new Chalk({ level: 1 });
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  return new Chalk({ level: stream.isTTY === true ? 1 : 0 });
}
