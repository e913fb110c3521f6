import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { withFileLock } from '../../src/ledger/file-lock.js';
import { newRelease } from '../../src/release/new-release.js';
import { canaryModel, sha } from '../support/model-config.js';
import { fromSourceArgs } from '../support/source-bundle.js';

// The lock a ledger file's writers take: one left behind by a process killed while it held it is
// refused with what to do, never taken over (two writers could then both write, one change lost).

let path: string;
let lock: string;
let holder: ChildProcess | undefined;
beforeEach(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'model-gate-ledger-lock-')), 'ledger.json');
  lock = `${path}.lock`;
});
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
});

/** lock-holder.ts as its own process, once it holds the lock. */
async function holdLock(...args: string[]): Promise<ChildProcess> {
  const node = await fromSourceArgs('test/ledger/lock-holder.ts');
  const child = spawn(process.execPath, [...node, lock, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  holder = child;
  await once(child.stdout, 'data');
  return child;
}

const release = newRelease(canaryModel(), { from: 'v1', to: 'v2', pr: 3, headSha: sha(1), now: 1_000 });
const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe('a ledger lock left behind', () => {
  it('by a killed run: the save is refused at once, naming the lock and what to do; the ledger is untouched', async () => {
    await fileLedger(path).saveRelease(release);
    const before = await readFile(path, 'utf8');
    const killed = await holdLock();
    killed.kill('SIGKILL');
    await once(killed, 'exit');

    const saving = fileLedger(path).saveRelease({ ...release, phase: 0, updatedAt: 2_000 });
    await expect(saving).rejects.toBeInstanceOf(InputError);
    await expect(saving).rejects.toThrow(
      new RegExp(
        `^the lock ${lock} was left by process ${killed.pid}, which stopped while writing \\(locked at .+\\): ` +
          `the file it guards is whole \\(each write replaces it at once\\); delete ${lock} and run again$`,
      ),
    );
    expect(await readFile(path, 'utf8')).toBe(before);

    // Done as it says: the next save goes through.
    await rm(lock);
    await fileLedger(path).saveRelease({ ...release, phase: 0, updatedAt: 2_000 });
    expect(await fileLedger(path).release('fraud')).toMatchObject({ phase: 0, updatedAt: 2_000 });
    expect(await exists(lock)).toBe(false);
  });

  it('by a run still going: refused after the wait, naming the process and both ways out', async () => {
    const running = await holdLock();
    let ran = false;
    const waiting = withFileLock(
      lock,
      async () => {
        ran = true;
      },
      200,
    );
    await expect(waiting).rejects.toThrow(
      `the lock ${lock} is still held by process ${running.pid} on ${hostname()} (locked at `,
    );
    await expect(waiting).rejects.toThrow(
      `after 0.2s: another run may be writing; run again once it ends, or, if no run is using it (a process killed while writing left it), delete ${lock}`,
    );
    expect(ran).toBe(false);
    expect(await exists(lock)).toBe(true);
  });

  it('by a run that exits on its own while it holds it (process.exit, as on a signal): none, it is removed', async () => {
    const exiting = await holdLock('exit');
    const [code] = await once(exiting, 'exit');
    expect(code).toBe(3);
    expect(await exists(lock)).toBe(false);
  });

  // A cancelled job gets SIGINT, then SIGTERM: its post step must be able to write the ledger.
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'by a run stopped by %s while it holds it: none, and it still dies of the signal',
    async (signal) => {
      const stopped = await holdLock();
      stopped.kill(signal);
      const [code, killedBy] = await once(stopped, 'exit');
      expect([code, killedBy]).toEqual([null, signal]);
      expect(await exists(lock)).toBe(false);
      await fileLedger(path).saveRelease(release);
      expect(await fileLedger(path).release('fraud')).toMatchObject({ to: 'v2' });
    },
  );

  // Node hands a signal to its listeners between turns: one that comes during the write's last
  // turn reached none once the lock went, and the process went on as if never stopped.
  it('by a run stopped as its write ends: none, and it still dies of the signal', async () => {
    const writing = await holdLock('busy');
    writing.kill('SIGTERM');
    const [code, killedBy] = await once(writing, 'exit');
    expect([code, killedBy]).toEqual([null, 'SIGTERM']);
    expect(await exists(lock)).toBe(false);
  });
});
