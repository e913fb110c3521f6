import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployments, environmentOf } from '../../src/github/deployments.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';

// A merge job records its promotion as a Deployment, then the release's state. Should GitHub's
// answer to the Deployment be lost, or the state's write refused, the job's re-run records the
// promotion again: the Deployments page (the model's audit trail) must show it once.
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
let github: FakeGitHub;
beforeAll(async () => {
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
});

const promotion: LedgerEntry = {
  model: 'fraud',
  kind: 'promotion',
  version: 'v2',
  previous: 'v1',
  at: 1_000,
  pr: 2,
  summary: 'v2 passed every gate',
};

describe('Deployments.record', () => {
  it('records a promotion its newest deployment already records once, and a different one after it', async () => {
    const deployments = new Deployments(getOctokit('ghs_x', { baseUrl: github.url }), repo, sha(2));
    await deployments.record(promotion);
    await deployments.record({ ...promotion, at: 2_000 });
    expect(github.deployments(environmentOf('fraud'))).toHaveLength(1);
    expect(await deployments.history('fraud')).toMatchObject([{ kind: 'promotion', version: 'v2', pr: 2 }]);

    // A rollback to v1, then v2 promoted again by the same PR: each its own entry.
    await deployments.record({
      ...promotion,
      kind: 'rollback',
      version: 'v1',
      previous: 'v2',
      pr: undefined,
    });
    await deployments.record(promotion);
    expect((await deployments.history('fraud')).map((e) => `${e.kind} ${e.previous}->${e.version}`)).toEqual([
      'promotion v1->v2',
      'rollback v2->v1',
      'promotion v1->v2',
    ]);
  });
});
