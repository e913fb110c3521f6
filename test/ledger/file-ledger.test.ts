import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { LedgerStateError } from '../../src/ledger/ledger.js';
import { parseState, releaseSchema } from '../../src/ledger/release-schema.js';
import { newRelease } from '../../src/release/new-release.js';
import { WORKING_TREE } from '../../src/version/local-comparison.js';
import { canaryModel, sha } from '../support/model-config.js';

// The ledger file is read back at the edge, as the GitHub ledger's comment is: a hand-edited
// file is refused by name, with the field and value, before anything acts on it.
let path: string;
beforeEach(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'model-gate-file-ledger-')), 'ledger.json');
});

const release = (headSha: string) =>
  newRelease(canaryModel(), { from: 'v1', to: 'v2', pr: 3, headSha, now: 1_000 });
const entry = {
  model: 'fraud',
  kind: 'promotion',
  version: 'v2',
  previous: 'v1',
  at: 2_000,
  pr: 3,
  summary: 'ok',
};

describe('fileLedger', () => {
  it('sees a withdrawal another run settled within the same millisecond, its status unchanged', async () => {
    const ledger = fileLedger(path);
    const pending = {
      ...release(sha(7)),
      status: 'failed' as const,
      withdrawPending: true,
      updatedAt: 5_000,
    };
    await ledger.saveRelease(pending);
    expect(await ledger.endedElsewhere?.(pending, true)).toBeUndefined();
    // Another run took v2 out of service and recorded it at the same instant: still failed.
    const { withdrawPending: _, ...settled } = pending;
    await ledger.saveRelease(settled);
    expect(await ledger.endedElsewhere?.(pending, true)).toEqual(settled);
  });

  it('sees a change to idle another run finished within the same millisecond, its status unchanged', async () => {
    const ledger = fileLedger(path);
    const pending = {
      ...release(sha(7)),
      status: 'ready' as const,
      idlePending: true as const,
      updatedAt: 5_000,
    };
    await ledger.saveRelease(pending);
    expect(await ledger.endedElsewhere?.(pending, true)).toBeUndefined();
    // Another run took v2 to idle and recorded it at the same instant: still ready.
    const { idlePending: _, ...idled } = pending;
    await ledger.saveRelease(idled);
    expect(await ledger.endedElsewhere?.(pending, true)).toEqual(idled);
  });

  it("keeps one entry where a re-run records the model's last promotion again", async () => {
    const ledger = fileLedger(path);
    await ledger.record({ ...entry, kind: 'promotion' });
    await ledger.record({ ...entry, model: 'churn', kind: 'promotion' });
    await ledger.record({ ...entry, kind: 'promotion', at: 3_000 });
    expect(await ledger.history('fraud')).toEqual([entry]);
    await ledger.record({ ...entry, kind: 'rollback', version: 'v1', previous: 'v2', pr: undefined });
    expect(await ledger.history('fraud')).toHaveLength(2);
  });

  it("reads back a local run's release of the working tree and a PR head's", async () => {
    const ledger = fileLedger(path);
    await ledger.saveRelease(release(WORKING_TREE));
    expect(await ledger.release('fraud')).toEqual(release(WORKING_TREE));
    await ledger.saveRelease(release(sha(7)));
    await ledger.record({ ...entry, kind: 'promotion' });
    expect(await ledger.canaryHolder('fraud')).toEqual(release(sha(7)));
    expect(await ledger.history('fraud')).toEqual([entry]);
  });

  it('refuses a head that is neither a SHA nor the working tree, and a version a target would be given', async () => {
    const written = { ...release(WORKING_TREE), headSha: 'main; rm -rf /' };
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        releases: { fraud: written },
        history: [{ ...entry, previous: '$(id)' }],
      }),
    );
    const read = fileLedger(path).history('fraud');
    await expect(read).rejects.toBeInstanceOf(InputError);
    await expect(read).rejects.toThrow(
      `the ledger ${path} is not one model-gate wrote (releases.fraud.headSha: expected a commit SHA or ":working-tree", got "main; rm -rf /"; history[0].previous: "$(id)" is not a valid version`,
    );
  });

  it('refuses a release filed under another model', async () => {
    await writeFile(path, JSON.stringify({ version: 1, releases: { churn: release(sha(1)) }, history: [] }));
    await expect(fileLedger(path).release('churn')).rejects.toThrow(
      'releases.churn.model: expected "churn", the model it is filed under, got "fraud"',
    );
  });

  it('names a file that is not JSON, or not an object, and leaves it as it was', async () => {
    await writeFile(path, '{bad');
    await expect(fileLedger(path).saveRelease(release(sha(1)))).rejects.toThrow(
      /^the ledger .+ is not valid JSON \(.+\): fix it, or restore it if it held releases: deleting it starts an empty ledger, which forgets any candidate in flight while it may still get live traffic$/,
    );
    expect(await readFile(path, 'utf8')).toBe('{bad');
    await writeFile(path, 'null');
    await expect(fileLedger(path).history('fraud')).rejects.toThrow(
      '(expected a mapping, got an empty value): fix it, or restore it if it held releases',
    );
  });

  it('names a path under a file, which it can neither read nor write', async () => {
    await writeFile(path, '');
    const under = join(path, 'ledger.json');
    const problem = `the ledger ${under}: a part of its path is a file, not a directory: give another path`;
    await expect(fileLedger(under).history('fraud')).rejects.toThrow(problem);
    await expect(fileLedger(under).record({ ...entry, kind: 'rollback' })).rejects.toThrow(problem);
  });

  it('never writes what it would refuse to read, naming the release or entry and the field', async () => {
    // A version as a platform may report the one it serves: the release's `from`, a rollback's `previous`.
    const ledger = fileLedger(path);
    await ledger.saveRelease(release(sha(1)));
    const before = await readFile(path, 'utf8');
    const saving = ledger.saveRelease({ ...release(sha(2)), from: 'v1 beta' });
    await expect(saving).rejects.toBeInstanceOf(LedgerStateError);
    await expect(saving).rejects.toThrow(
      `cannot record the release of fraud in the ledger ${path}: releases.fraud.from: "v1 beta" is not a valid version (letters, digits, . _ + - only, at most 128 characters)`,
    );
    await expect(ledger.record({ ...entry, kind: 'rollback', previous: 'v1 beta' })).rejects.toThrow(
      `cannot record the rollback of fraud in the ledger ${path}: history[0].previous: "v1 beta" is not a valid version`,
    );
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await ledger.release('fraud')).toEqual(release(sha(1)));
  });

  it('leaves the GitHub ledger as strict as it was: its heads are commit SHAs', () => {
    expect(parseState(releaseSchema, release(WORKING_TREE))).toEqual({
      ok: false,
      problems: ['headSha: expected a commit SHA, got ":working-tree"'],
    });
  });
});
