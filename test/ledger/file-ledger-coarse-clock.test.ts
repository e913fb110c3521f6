import type { BigIntStats } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import { canaryModel, sha } from '../support/model-config.js';

// A file system with a coarse clock (1 s on some mounts) that reuses a freed inode: two saves by
// another run within the same second, of the same size, leave the file's stat as it was. A run
// that trusted that stat to mean "unchanged" missed an abort made meanwhile by hand and drove on.
// Real writes; only what stat reports is made coarse, as such a file system reports it.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>();
  const second = 1_000_000_000n;
  const coarse = (s: BigIntStats) =>
    ({
      ...s,
      ino: 1n,
      mtimeNs: (s.mtimeNs / second) * second,
      ctimeNs: (s.ctimeNs / second) * second,
    }) as BigIntStats;
  const stat = (async (path: string, opts: object) =>
    coarse((await fs.stat(path, opts as never)) as unknown as BigIntStats)) as typeof fs.stat;
  const open = (async (path: string, flags?: string) => {
    const handle = await fs.open(path, flags);
    const own = handle.stat.bind(handle);
    handle.stat = (async (opts: object) =>
      coarse((await own(opts as never)) as unknown as BigIntStats)) as typeof handle.stat;
    return handle;
  }) as typeof fs.open;
  return { ...fs, stat, open };
});

const fraud = newRelease(canaryModel(), { from: 'v1', to: 'v2', pr: 3, headSha: sha(1), now: 1_000 });

it('a run reading the ledger sees an abort written by another run within the same second, at the same size', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'model-gate-ledger-coarse-')), 'ledger.json');
  const tick = fileLedger(path);
  const driven = { ...fraud, phase: 0, updatedAt: 2_000, reason: 'canary at 10%' };
  await tick.saveRelease(driven);
  expect(await tick.endedElsewhere?.(driven, true)).toBeUndefined();

  const other = fileLedger(path);
  await other.saveRelease({ ...driven, phase: 1, reason: 'canary at 50%' });
  await other.saveRelease({ ...driven, status: 'aborted', reason: 'aborted by hand' });
  expect(await tick.endedElsewhere?.(driven, true)).toMatchObject({
    status: 'aborted',
    reason: 'aborted by hand',
  });
});
