// Ctrl-C and kill as a user sends them: a command ends as the signal ends it (130 in a shell for
// Ctrl-C), with no half-written case and no temporary file or folder left behind.

import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeCommand, plainEnv, ROOT, runCli } from './run-cli.ts';

const made: string[] = [];
const scratch = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `kvsim-${name}-`));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** How a shell reports a command's end: 128 + the signal's number when a signal ended it. */
const SIGNAL_STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function ended(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve(signal === null ? code : SIGNAL_STATUS[signal]!)),
  );
}

describe('npm run verify, Ctrl-C while it writes its counterexample', () => {
  it('ends with 130, the case whole (it replays) or absent, no temporary file, nothing replaced', async () => {
    const work = scratch('verify-signal');
    mkdirSync(join(work, 'cases'));
    // Someone's file under the name the case would take first: it must survive.
    const taken = join(
      work,
      'cases',
      'verify-two-readers-replicated-fixed-missingKeyReply-null-first.ts',
    );
    writeFileSync(taken, '// my notes\n');
    const [program, args] = nodeCommand('sim/cli/verify.ts', [
      join(ROOT, 'scenarios', 'verify', 'two-readers.ts'),
      '--knob',
      'missingKeyReply=null-first',
    ]);
    // The signal comes the moment a file under cases/ is opened: in the middle of the write.
    const interrupt = join(ROOT, 'test', 'fixtures', 'signals', 'interrupt-case-write.mjs');
    const child = spawn(program, ['--import', interrupt, ...args], {
      cwd: work,
      env: plainEnv(),
      stdio: 'ignore',
    });
    expect(await ended(child)).toBe(130);
    expect(readFileSync(taken, 'utf8')).toBe('// my notes\n');
    const left = readdirSync(join(work, 'cases')).sort();
    expect(left.filter((f) => f.startsWith('.'))).toEqual([]);
    // Written whole before the signal was answered, under the next free name.
    expect(left).toEqual([basename(taken).replace(/\.ts$/, '-2.ts'), basename(taken)]);
    for (const file of left.filter((f) => join(work, 'cases', f) !== taken)) {
      const replay = runCli('sim', [join(work, 'cases', file), '--quiet'], work);
      expect(replay.status).toBe(0);
      expect(replay.stdout).toContain('as the scenario expected');
    }
  });
});

describe('npm run sim -- -, stopped while the scenario piped in loads', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s leaves no kvsim-stdin-* folder in the temporary folder',
    async (signal) => {
      const temporary = scratch('stdin-signal');
      const source = join(temporary, 'loops.ts');
      // A file that loops at import: the load waits for it up to its time limit.
      writeFileSync(source, 'while (true) {}\nexport default { steps: [] };\n');
      const child = spawn(...nodeCommand('sim/cli/sim.ts', ['-']), {
        env: { ...plainEnv(), TMPDIR: temporary },
        stdio: [openSync(source, 'r'), 'ignore', 'ignore'],
      });
      const status = ended(child);
      const saved = () => readdirSync(temporary).filter((f) => f.startsWith('kvsim-stdin-'));
      for (let i = 0; i < 3000 && saved().length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(saved()).toHaveLength(1);
      child.kill(signal);
      expect(await status).toBe(SIGNAL_STATUS[signal]);
      expect(saved()).toEqual([]);
    },
  );
});
