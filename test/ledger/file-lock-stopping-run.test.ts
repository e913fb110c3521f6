import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { withFileLock } from '../../src/ledger/file-lock.js';

// A `model-gate run` stopped by Ctrl-C goes on to withdraw its candidate, writing the ledger as it
// does: a stop signal must not take the lock from under a write of that still running process
// (another writer could then write at once). A process the signal ends still loses its locks
// (file-lock.test.ts).

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );
const ownListener = () => {};
afterEach(() => {
  process.off('SIGINT', ownListener);
});

it('a stop signal that a listener of the process handles leaves its lock until its write ends', async () => {
  const lock = join(await mkdtemp(join(tmpdir(), 'model-gate-lock-stop-')), 'ledger.json.lock');
  process.on('SIGINT', ownListener);
  const heldAfterSignal = await withFileLock(lock, async () => {
    // As the signal arrives, mid-write: Node calls the listeners of the process with its name.
    process.emit('SIGINT', 'SIGINT');
    return exists(lock);
  });
  expect(heldAfterSignal).toBe(true);
  expect(await exists(lock)).toBe(false);
});
