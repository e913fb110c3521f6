import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { enginePorts } from '../support/engine-ports.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// The `model-gate/<model>` status of a head that does not change the model, once the PR's release
// of it ended before the run (the main-step tests cover withdrawn and failed through GitHub): each
// ending says how in the status, and a PR with no release of the model reads no version file for
// it and writes no status. Heads: a (base, v1), b (v2), c (v1 again), d (no version file),
// h (v1, a README fix after c).
const sha = (c: string) => c.repeat(40);
const V1 = { 'fraud.yaml': 'version: v1\n' };
const FILES: Record<string, Record<string, string>> = {
  [sha('a')]: V1,
  [sha('b')]: { 'fraud.yaml': 'version: v2\n' },
  [sha('c')]: V1,
  [sha('d')]: {},
  [sha('h')]: { ...V1, 'README.md': 'a typo fixed\n' },
};

async function world(candidateErrors = 0.005) {
  const { config } = parseConfig(FRAUD_CANARY_YAML, {});
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-ended-status-')), 'ledger.json'));
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const ports = enginePorts({ ledger, files: FILES, clock: new FakeClock(), target });
  ports.metricsFor = () =>
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: { 'error-rate': candidateErrors } },
    });
  // Every version file read, and every status passed, as the GitHub ports would send them.
  const reads: string[] = [];
  const files = memoryFileReader(FILES);
  ports.reader = {
    read: (ref, path) => {
      reads.push(`${ref.slice(0, 1)}:${path}`);
      return files.read(ref, path);
    },
  };
  const statuses: string[] = [];
  ports.passNoLongerChanged = async (model, headSha, why) => {
    statuses.push(`${model}@${headSha.slice(0, 1)}: ${why}`);
  };
  type Opts = { number?: number; dryRun?: boolean; tick?: boolean };
  const pr = (action: string, head: string, opts: Opts = {}) =>
    handlePullRequest(
      config,
      {
        action,
        number: opts.number ?? 7,
        baseSha: sha('a'),
        headSha: sha(head),
        merged: false,
      },
      ports,
      { mode: opts.tick ? 'tick' : 'watch', maxWaitMs: 3_600_000, dryRun: opts.dryRun === true },
    );
  return { ports, target, pr, reads, statuses };
}

describe('the status of a head that does not change a model whose release of the PR ended', () => {
  it('closed unmerged, then reopened on a head that put the version back: passes, saying v2 was withdrawn earlier', async () => {
    const { pr, statuses } = await world();
    expect((await pr('opened', 'b')).releases[0]?.status).toBe('ready');
    expect((await pr('closed', 'b')).releases[0]?.status).toBe('aborted');
    expect(statuses).toEqual([]);
    await pr('reopened', 'c');
    expect(statuses).toEqual(['fraud@c: no longer changes fraud: candidate v2 was withdrawn earlier']);
  });

  it('failed, then the version file deleted: passes, saying v2 failed its analysis earlier', async () => {
    const { pr, statuses } = await world(0.2);
    expect((await pr('opened', 'b')).releases[0]?.status).toBe('failed');
    await pr('synchronize', 'd');
    expect(statuses).toEqual([
      "fraud@d: no longer declares fraud's version: candidate v2 failed its analysis earlier",
    ]);
  });

  it('withdrawing v2 failed: a later head says so too, not that it was withdrawn', async () => {
    const { pr, target, statuses } = await world();
    // One look: v2 gets 10% of live traffic, and the platform then refuses every change.
    expect((await pr('opened', 'b', { tick: true })).releases[0]?.status).toBe('analysing');
    target.write = async () => {
      throw new TargetError('the platform refused the change');
    };
    expect((await pr('synchronize', 'c')).releases[0]).toMatchObject({
      status: 'superseded',
      withdrawPending: true,
    });
    await pr('synchronize', 'h');
    const failed = 'no longer changes fraud: withdrawing candidate v2 failed, the next run retries';
    expect(statuses).toEqual([`fraud@c: ${failed}`, `fraud@h: ${failed}`]);
  });

  it('a dry run passes no status', async () => {
    const { pr, statuses } = await world();
    await pr('opened', 'b');
    await pr('synchronize', 'c');
    await pr('synchronize', 'h', { dryRun: true });
    expect(statuses).toEqual(['fraud@c: no longer changes fraud: candidate v2 withdrawn']);
  });

  it('a PR with no release of the model reads no version file for it and passes no status', async () => {
    const { ports, pr, reads, statuses } = await world();
    // Another PR's release is the ledger's latest of the model.
    await pr('opened', 'b');
    await pr('closed', 'b');
    reads.length = 0;
    ports.touchedFiles = async () => new Set(['README.md']);
    expect((await pr('opened', 'h', { number: 9 })).releases).toEqual([]);
    expect(reads).toEqual([]);
    expect(statuses).toEqual([]);
  });
});
