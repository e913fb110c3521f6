import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import { canaryModel, sha } from '../support/model-config.js';

// A ledger on a read-only file system (a read-only mount, a volume mounted :ro): the write failed
// with Node's own words ("EROFS: read-only file system, open '…lock'"), where a path without
// permission is told to give one it can write. Now it is told the same. The file system is made
// read-only by Node's own error, as the kernel gives it: tests run as root, which a chmod does not stop.
const readOnly = vi.hoisted(() => ({ on: false, opened: [] as string[] }));
vi.mock('node:fs/promises', async (actual) => {
  const fs = await actual<typeof import('node:fs/promises')>();
  const erofs = (syscall: string, path: string) =>
    Object.assign(new Error(`EROFS: read-only file system, ${syscall} '${path}'`), {
      code: 'EROFS',
      errno: -30,
      syscall,
      path,
    });
  const refused = (syscall: string, path: unknown, flags?: unknown) => {
    // Reads still work on a read-only file system; creating or writing a file does not.
    const writes = syscall !== 'open' || (typeof flags === 'string' && /[wa+]/.test(flags));
    if (!readOnly.on || !writes) return undefined;
    readOnly.opened.push(String(path));
    return erofs(syscall, String(path));
  };
  return {
    ...fs,
    open: (async (path, flags, ...rest) => {
      const err = refused('open', path, flags);
      if (err) throw err;
      return fs.open(path, flags, ...rest);
    }) as typeof fs.open,
    writeFile: (async (path, ...rest) => {
      const err = refused('writeFile', path);
      if (err) throw err;
      return fs.writeFile(path, ...rest);
    }) as typeof fs.writeFile,
  };
});

const release = newRelease(canaryModel(), { from: 'v1', to: 'v2', pr: 3, headSha: sha(1), now: 1_000 });
let path: string;
beforeEach(async () => {
  readOnly.on = false;
  readOnly.opened = [];
  path = join(await mkdtemp(join(tmpdir(), 'model-gate-ledger-ro-')), 'ledger.json');
});

describe('a ledger on a read-only file system', () => {
  it('is named, with what to do, not in the file system’s raw words; what it holds is still read', async () => {
    await fileLedger(path).saveRelease(release);
    const before = await readFile(path, 'utf8');
    readOnly.on = true;

    const saving = fileLedger(path).saveRelease({ ...release, phase: 0, updatedAt: 2_000 });
    await expect(saving).rejects.toBeInstanceOf(InputError);
    await expect(saving).rejects.toMatchObject({
      message: `the ledger ${path} is on a read-only file system, so it cannot be written: give a path you can write`,
    });
    // Refused at its lock, the first file a write creates.
    expect(readOnly.opened).toEqual([`${path}.lock`]);
    expect(await fileLedger(path).release('fraud')).toMatchObject({ phase: -1, updatedAt: 1_000 });
    expect(await readFile(path, 'utf8')).toBe(before);
  });
});
