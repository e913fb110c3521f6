import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest's globalSetup: the whole run's temporary files (ledgers, repos, runner homes, the
 * processes' own) go under one directory, removed when the run ends, so repeated runs do not
 * fill the machine's /tmp. Set before the workers start: they and every process they spawn
 * inherit TMPDIR, which os.tmpdir() reads.
 */
export default async function tempRoot(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'model-gate-tests-'));
  process.env.TMPDIR = root;
  return () => rm(root, { recursive: true, force: true });
}
