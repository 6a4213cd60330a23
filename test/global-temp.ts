// One temporary folder for the whole test run, removed when it ends: every test's temporary files
// and folders (and those of the commands it starts, which inherit TMPDIR) go under it, so a run of
// the suite leaves nothing in the system's temporary folder, however its tests end.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'kvsim-tests-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true });
  };
}
