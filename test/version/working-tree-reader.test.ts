import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { workingTreeReader } from '../../src/version/changed-models.js';

// A local run reads the files the config names from disk: a folder there is bad input, named.
it('refuses a directory where the config names a file, by its path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-tree-'));
  await mkdir(join(dir, 'models', 'fraud', 'eval.json'), { recursive: true });
  const read = workingTreeReader(dir).read('ignored', 'models/fraud/eval.json');
  await expect(read).rejects.toBeInstanceOf(InputError);
  await expect(read).rejects.toThrow(
    "models/fraud/eval.json: is a directory, expected a file (the config names it as a model's version file or an offline gate's file): point the config at a file",
  );
});

it('reads a path under a file as absent, as git does', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-tree-'));
  await writeFile(join(dir, 'models'), 'not a folder\n');
  expect(await workingTreeReader(dir).read('ignored', 'models/fraud.yaml')).toBeUndefined();
});
