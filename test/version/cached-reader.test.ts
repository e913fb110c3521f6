import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedReader } from '../../src/version/cached-reader.js';
import { type FileReader, memoryFileReader } from '../../src/version/changed-models.js';
import { localComparison, WORKING_TREE } from '../../src/version/local-comparison.js';
import { GitRepo } from '../support/git-repo.js';

// The run's reader reads a file at a commit once, whoever asks: a file at a commit never
// changes. A branch or the CLI's working tree can change between two reads: never kept.
const SHA = 'a'.repeat(40);
const FILE = 'models/fraud.yaml';

/** `inner`, with each read it is asked for written down. */
function counted(inner: FileReader) {
  const reads: string[] = [];
  const reader: FileReader = {
    read: (ref, path) => {
      reads.push(`${ref.slice(0, 7)}:${path}`);
      return inner.read(ref, path);
    },
  };
  return { reader, reads };
}

describe('cachedReader', () => {
  it('reads a file at a commit SHA once, for callers at once and later, and a missing one once too', async () => {
    const { reader, reads } = counted(memoryFileReader({ [SHA]: { [FILE]: 'version: v2\n' } }));
    const cached = cachedReader(reader);
    const first = await Promise.all([cached.read(SHA, FILE), cached.read(SHA, FILE)]);
    expect([...first, await cached.read(SHA, FILE)]).toEqual([
      'version: v2\n',
      'version: v2\n',
      'version: v2\n',
    ]);
    expect([await cached.read(SHA, 'gone.yaml'), await cached.read(SHA, 'gone.yaml')]).toEqual([
      undefined,
      undefined,
    ]);
    expect(reads).toEqual(['aaaaaaa:models/fraud.yaml', 'aaaaaaa:gone.yaml']);
  });

  it('keeps no failed read: the next caller asks again', async () => {
    let calls = 0;
    const cached = cachedReader({
      read: async () => {
        calls++;
        if (calls === 1) throw new Error('GitHub answered 502');
        return 'version: v2\n';
      },
    });
    await expect(cached.read(SHA, FILE)).rejects.toThrow('GitHub answered 502');
    expect(await cached.read(SHA, FILE)).toBe('version: v2\n');
    expect(calls).toBe(2);
  });

  it("the CLI's reader sees an edit to the working tree and a new commit on a branch between two reads", async () => {
    const repo = await GitRepo.create();
    const first = await repo.commit({ [FILE]: 'version: v1\n' });
    const { reader } = await localComparison(repo.dir, {});
    expect(await reader.read(WORKING_TREE, FILE)).toBe('version: v1\n');
    expect(await reader.read('main', FILE)).toBe('version: v1\n');
    expect(await reader.read(first, FILE)).toBe('version: v1\n');

    await writeFile(join(repo.dir, FILE), 'version: v2\n');
    expect(await reader.read(WORKING_TREE, FILE)).toBe('version: v2\n');
    await repo.commit({ [FILE]: 'version: v3\n' });
    expect(await reader.read('main', FILE)).toBe('version: v3\n');
    // The first commit still holds what it held.
    expect(await reader.read(first, FILE)).toBe('version: v1\n');
  });
});
