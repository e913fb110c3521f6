import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { runSchedule } from '../../src/release/schedule.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { driftWatchYaml, sha } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// Recording each drift verdict (drift alerts once) made a tick of a drift-watched model that is not
// drifting cost 4 requests instead of 2: the tick's list of the model's promotions was read again to
// find the deployment serving. With 20 models ticking every 15 minutes, that was 160 more requests
// an hour of GITHUB_TOKEN's 1,000 per repository. Now the tick reads that list once.
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const HOUR = 3_600_000;
const TICK = 15 * 60_000;

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub(repo);
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** Stable v2 promoted by PR #7; `tick` runs a schedule job (its own ledger) and returns its requests. */
async function world() {
  const ledgerOf = (run: number) =>
    new GitHubLedger({
      client: getOctokit('ghs_x', { baseUrl: github.url }),
      repo,
      sha: sha(999),
      runUrl: `https://github.com/Codertocat/Hello-World/actions/runs/${run}`,
      runId: run,
    });
  const first = ledgerOf(0);
  await first.record({
    model: 'fraud',
    kind: 'promotion',
    version: 'v2',
    previous: 'v1',
    at: 0,
    pr: 7,
    summary: 'v2 passed every gate',
  });
  const clock = new FakeClock(((await first.history('fraud')).at(-1)?.at ?? 0) + 2 * 24 * HOUR);
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  let run = 0;
  const w = {
    drifting: false,
    /** The tick's requests to GitHub, as `METHOD operation`, and its drift note. */
    async tick() {
      run += 1;
      clock.advance(TICK);
      github.resetRequests();
      const result = await runSchedule(
        config,
        {
          ledger: ledgerOf(run),
          reader: memoryFileReader({}),
          clock,
          log: { info: () => {}, warn: () => {} },
          targetFor: () => new MemoryTarget({ stable: { version: 'v2' } }),
          metricsFor: () => {
            const lastHour = clock.now() - HOUR;
            return shiftedScores((m) => w.drifting && m.since >= lastHour);
          },
        },
        { mode: 'tick', maxWaitMs: 0 },
      );
      const requests = github.requests.map((r) => `${r.method} ${r.operationId}`);
      return { requests, note: result.drift?.[0]?.note ?? '' };
    },
  };
  return w;
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

  it('a drift that continues costs no more than one not drifting, and one that begins no more than before', async () => {
    const w = await world();
    w.drifting = true;
    const began = await w.tick();
    const continues = await w.tick();

    // The drift's start writes its `failure` status, then reads the history anew for the PR to tell.
    expect(began.requests).toHaveLength(5);
    expect(began.requests).toContain('POST repos/create-deployment-status');
    expect(continues.note).toMatch(/still drifting since/);
    expect(continues.requests).toHaveLength(3);
    expect(count(continues.requests, LIST)).toBe(2);
  });

  it("reads the promotions anew on each tick: another run's rollback is seen by the next", async () => {
    const w = await world();
    await w.tick();
    const other = new GitHubLedger({
      client: getOctokit('ghs_x', { baseUrl: github.url }),
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
