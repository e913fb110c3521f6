import { getOctokit } from '@actions/github';
import { describe, expect, it } from 'vitest';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { sha } from '../support/model-config.js';
import { repo, useGitHubDriftWorld } from './drift-world.js';

// Recording each drift verdict (drift alerts once) made a tick of a drift-watched model that is not
// drifting cost 4 requests instead of 2: the tick's list of the model's promotions was read again to
// find the deployment serving. With 20 models ticking every 15 minutes, that was 160 more requests
// an hour of GITHUB_TOKEN's 1,000 per repository. Now the tick reads that list once.
const driftWorld = useGitHubDriftWorld();

/** Stable v2 promoted by PR #7, not drifting; `tick` runs a schedule job and returns its requests and drift note. */
async function world() {
  const promoted = await driftWorld.promotedV2(false);
  return {
    set drifting(on: boolean) {
      promoted.drifting = on;
    },
    async tick() {
      const { result, requests } = await promoted.tick();
      return { requests, note: result.drift?.[0]?.note ?? '' };
    },
  };
}

const LIST = 'GET repos/list-deployments';
const count = (requests: string[], what: string) => requests.filter((r) => r === what).length;

describe('the GitHub requests of a drift watch tick', () => {
  it('a version not drifting costs 3 requests: the canary slot, the promotions (once) and their statuses', async () => {
    const w = await world();
    const { requests, note } = await w.tick();

    expect(note).toMatch(/^fraud v2: no drift/);
    expect(requests).toHaveLength(3);
    expect(count(requests, LIST)).toBe(2);
    expect(count(requests, 'GET repos/list-deployment-statuses')).toBe(1);
  });

  it('a drift that continues costs no more than one not drifting, and one that begins 6 requests', async () => {
    const w = await world();
    w.drifting = true;
    const began = await w.tick();
    const continues = await w.tick();

    // The drift's start writes its `failure` status, reads the statuses again (an overlapping tick may
    // have marked it first: the first mark alerts), then the history anew for the PR to tell.
    expect(began.requests).toHaveLength(6);
    expect(began.requests).toContain('POST repos/create-deployment-status');
    expect(continues.note).toMatch(/still drifting since/);
    expect(continues.requests).toHaveLength(3);
    expect(count(continues.requests, LIST)).toBe(2);
  });

  it("reads the promotions anew on each tick: another run's rollback is seen by the next", async () => {
    const w = await world();
    await w.tick();
    const other = new GitHubLedger({
      client: getOctokit('ghs_x', { baseUrl: driftWorld.github.url }),
      repo,
      sha: sha(998),
    });
    await other.record({
      model: 'fraud',
      kind: 'rollback',
      version: 'v2',
      previous: 'v3',
      at: 0,
      summary: 'v3 rolled back',
    });
    w.drifting = true;
    const { note, requests } = await w.tick();

    // Drift on the rollback's deployment, its own and new: it begins there.
    expect(note).not.toMatch(/still drifting/);
    expect(requests).toContain('POST repos/create-deployment-status');
  });
});
