// Case files on a file system without hard links (a VirtualBox shared folder, a FAT stick): explore
// and verify still write each case whole under a free name, and never over a file that is there.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';

// link(2) refused as such a file system refuses it; everything else is the real node:fs.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const linkSync = () => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  };
  return { ...fs, linkSync, default: { ...fs, linkSync } };
});

const { createCaseFile, replaceCaseFile } = await import('../sim/explore/case.ts');

const SOURCE = "import { scenario } from '<sim/scenario.ts>';\nexport default scenario({});\n";

describe('a case file where hard links are refused', () => {
  test('is written whole under the first free name, next to a taken one left as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-nolinks-'));
    writeFileSync(join(dir, 'case.ts'), 'a student’s own file\n');
    const path = createCaseFile(dir, 'case', SOURCE);
    expect(path).toBe(join(dir, 'case-2.ts'));
    expect(readFileSync(join(dir, 'case.ts'), 'utf8')).toBe('a student’s own file\n');
    const written = readFileSync(path, 'utf8');
    expect(written).toContain('export default scenario({});');
    expect(written).not.toContain('<sim/scenario.ts>');
    // No temporary file stays behind.
    expect(readdirSync(dir).sort()).toEqual(['case-2.ts', 'case.ts']);
  });

  test('a case rewritten while shrinking replaces only its own file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-nolinks-'));
    const path = createCaseFile(dir, 'case', SOURCE);
    replaceCaseFile(path, SOURCE.replace('({})', '({ goal: "smaller" })'));
    expect(readFileSync(path, 'utf8')).toContain('goal: "smaller"');
    expect(readdirSync(dir)).toEqual(['case.ts']);
  });
});
