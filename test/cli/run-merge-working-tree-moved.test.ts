import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { CLI_MODEL, useCliRunWorld } from '../support/cli-run-world.js';

// `model-gate run merge` on the working tree after its version file changed since the release
// passed: the working tree is one head name (`:working-tree`) whatever it declares, so the merge
// must read what it declares now, as `plan` does, not take the same name for the same version.
vi.setConfig({ testTimeout: 90_000 });
const MODEL = CLI_MODEL;
const w = useCliRunWorld();
const { run, declare, serving } = w;

it('does not promote a version the working tree no longer declares', async () => {
  await declare('v2');
  const released = await run('release', '--pr', '7');
  expect(released.stdout).toMatch(/^model-gate: ✅ Ready to merge$/m);

  await declare('v3');
  const merged = await run('merge', '--pr', '7');
  expect(merged.stderr).toBe('');
  expect(merged.stdout).not.toContain('v2 is now the stable version');
  expect(merged.stdout).toContain('v2 was not promoted (on-merge: require-pass)');
  expect(merged.stdout).toContain(
    'v2 passed on the working tree when it declared v2, not on the working tree as it is now, which declares v3',
  );
  expect(await serving()).toEqual({ stable: { version: 'v1' } });
  const ledger = JSON.parse(await readFile(join(w.repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
  expect(ledger.history).toEqual([]);
  expect(ledger.releases[MODEL]).toMatchObject({ to: 'v2', status: 'aborted' });
});
