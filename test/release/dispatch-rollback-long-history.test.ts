import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { InputError } from '../../src/core/errors.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { enginePorts } from '../support/engine-ports.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';

// The GitHub ledger's history is the newest 30 Deployments (one page). A rollback to a version
// that served before those was refused as "never served", though a rollback goes to any earlier
// version. A version missing from that page is now looked for in the older pages (GitHub's
// pagination, on the contract-checked stand-in); a history shorter than a page costs no more reads.
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const { config } = parseConfig(FRAUD_CANARY_YAML, {});

/** The reads of the promotions and rollbacks on record (the ledger's history, and any older page). */
const historyReads = (gh: FakeGitHub) =>
  gh.requests.filter(
    (r) => r.method === 'GET' && r.path.endsWith('/deployments') && r.query.task === 'deploy',
  );

let github: FakeGitHub | undefined;
afterEach(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
});

/** fraud promoted `promotions` times on GitHub, v1 -> v2 -> …, the newest serving. */
async function promoted(promotions: number) {
  const gh = await startFakeGitHub(repo);
  github = gh;
  const client = getOctokit('ghs_x', { baseUrl: gh.url });
  const ledger = new GitHubLedger({ client, repo, sha: sha(1) });
  for (let n = 1; n <= promotions; n++)
    await ledger.record({
      model: 'fraud',
      kind: 'promotion',
      version: `v${n + 1}`,
      previous: `v${n}`,
      at: n,
      summary: 'passed',
    });
  const target = new MemoryTarget({ stable: { version: `v${promotions + 1}` } });
  const ports = enginePorts({ ledger, files: {}, clock: new FakeClock(Date.now()), target });
  gh.resetRequests();
  const rollbackTo = (toVersion: string) =>
    handleCommand(
      config,
      'rollback',
      { model: 'fraud', toVersion, dryRun: false, trigger: 'workflow_dispatch' },
      ports,
    );
  return { gh, target, ledger, rollbackTo };
}

describe('a rollback by workflow_dispatch on a GitHub ledger longer than a page', () => {
  it('to a version that served before the newest 30 Deployments: goes ahead', async () => {
    const w = await promoted(35);
    const result = await w.rollbackTo('v3');
    expect(result.rollbacks).toMatchObject([{ previous: 'v36', version: 'v3' }]);
    expect(w.target.state).toEqual({ stable: { version: 'v3' } });
    expect((await w.ledger.history('fraud')).at(-1)).toMatchObject({ kind: 'rollback', version: 'v3' });
  });

  it('to a version that never served: refused after reading the older pages, the platform untouched', async () => {
    const w = await promoted(35);
    const refused = w.rollbackTo('v99');
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(
      'rollback fraud: to-version v99 never served fraud as far as the ledger knows; a rollback goes back to a version that served (newest first: v36, v35, v34, v33, v32, v31, v30, v29, v28, v27, …): set to-version to one of them.',
    );
    expect(w.target.writes).toEqual([]);
    // The page the history read, then the older pages of 100, from the first.
    expect(historyReads(w.gh).map((r) => [r.query.per_page, r.query.page])).toEqual([
      ['30', undefined],
      ['100', undefined],
    ]);
  });

  it('a history shorter than a page: refused on the one read of it', async () => {
    const w = await promoted(3);
    await expect(w.rollbackTo('v99')).rejects.toThrow('to-version v99 never served fraud');
    expect(historyReads(w.gh)).toHaveLength(1);
    expect(w.target.writes).toEqual([]);
  });
});
