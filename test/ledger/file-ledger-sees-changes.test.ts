import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import { canaryModel, sha } from '../support/model-config.js';
import { fromSourceArgs } from '../support/source-bundle.js';

// A ledger keeps the file it parsed, so that a run over many models reads it once, not once per
// model. What another process, or a hand, changed since must still be read, and written over by
// nothing.
let path: string;
beforeEach(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'model-gate-ledger-changes-')), 'ledger.json');
});

const fraud = newRelease(canaryModel(), { from: 'v1', to: 'v2', pr: 3, headSha: sha(1), now: 1_000 });

/** ledger-writer.ts as its own process: `model`'s release saved at one phase, promoted, recorded. */
async function otherProcessReleases(model: string) {
  const node = await fromSourceArgs('test/ledger/ledger-writer.ts');
  const child = spawn(process.execPath, [...node, path, model, '1'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  await once(child.stdout, 'data');
  child.stdin.end('go\n');
  expect(await exited).toEqual([0, null]);
}

/** Gives `file` the access and modification times of `reference` (touch -r). */
const touchAsIn = (reference: string, file: string) => promisify(execFile)('touch', ['-r', reference, file]);

describe('a file ledger read again', () => {
  it('sees what another process wrote since, and keeps it when it writes', async () => {
    const ledger = fileLedger(path);
    await ledger.saveRelease(fraud);
    expect(await ledger.release('churn')).toBeUndefined();
    await otherProcessReleases('churn');
    expect(await ledger.release('churn')).toMatchObject({ status: 'promoted', reason: 'promoted phase 1' });
    expect(await ledger.history('churn')).toMatchObject([{ kind: 'promotion', version: 'v2' }]);

    // Read nothing since: its save still builds on the file as the other process left it.
    await otherProcessReleases('spam');
    await ledger.saveRelease({ ...fraud, phase: 0, updatedAt: 2_000, reason: 'canary at 10%' });
    const file = JSON.parse(await readFile(path, 'utf8'));
    expect(Object.keys(file.releases).sort()).toEqual(['churn', 'fraud', 'spam']);
    expect(file.history.map((e: { model: string }) => e.model).sort()).toEqual(['churn', 'spam']);
  });

  it('sees a file renamed in place, and a hand edit of the same size whose modification time was set back', async () => {
    const ledger = fileLedger(path);
    await ledger.saveRelease({ ...fraud, reason: 'phase 1' });
    expect(await ledger.release('fraud')).toMatchObject({ reason: 'phase 1' });

    // Edited in place and its times put back, as `touch -r` leaves it: the same size and inode,
    // the same modification time to the nanosecond.
    const times = `${path}.times`;
    await writeFile(times, '');
    await touchAsIn(path, times);
    const edited = (await readFile(path, 'utf8')).replace('"phase 1"', '"phase 2"');
    await writeFile(path, edited);
    await touchAsIn(times, path);
    expect(await ledger.release('fraud')).toMatchObject({ reason: 'phase 2' });

    await writeFile(`${path}.new`, edited.replace('"phase 2"', '"phase 3"'));
    await rename(`${path}.new`, path);
    expect(await ledger.release('fraud')).toMatchObject({ reason: 'phase 3' });
  });

  it('hands out copies: a caller changing what it read changes nothing the next read gives', async () => {
    const ledger = fileLedger(path);
    await ledger.saveRelease(fraud);
    const read = await ledger.release('fraud');
    if (!read) throw new Error('no release recorded');
    read.status = 'failed';
    read.gates.length = 0;
    expect(await ledger.release('fraud')).toEqual(fraud);
    expect(await ledger.canaryHolder('fraud')).toEqual(fraud);
  });
});
