import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { environmentOf } from '../../src/github/deployments.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { runSchedule } from '../../src/release/schedule.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { driftWatchYaml, sha } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// A drift watch that finds the serving version drifted marks its Deployment failing. It marked the
// newest promotion or rollback whatever its version: with v3 put on the platform by hand after
// model-gate promoted v2, v2's Deployment read "failure: fraud v3: prediction drift".
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const HOUR = 3_600_000;
let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub(repo);
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const promotion = (previous: string, version: string, pr: number): LedgerEntry => ({
  model: 'fraud',
  kind: 'promotion',
  version,
  previous,
  at: 0,
  pr,
  summary: `${version} passed every gate`,
});

/** A schedule tick on GitHub after `history`, with `serving` on the platform and its scores drifted. */
async function tickAfter(history: LedgerEntry[], serving: string) {
  const ledger = new GitHubLedger({
    client: getOctokit('ghs_x', { baseUrl: github.url }),
    repo,
    sha: sha(999),
  });
  for (const entry of history) await ledger.record(entry);
  // GitHub stamps the Deployments: the watch looks once a whole reference has passed since the last.
  const last = (await ledger.history('fraud')).at(-1)?.at ?? 0;
  const clock = new FakeClock(last + 2 * 24 * HOUR);
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  return runSchedule(
    config,
    {
      ledger,
      reader: memoryFileReader({}),
      clock,
      log: { info: () => {}, warn: () => {} },
      targetFor: () => new MemoryTarget({ stable: { version: serving } }),
      metricsFor: () => {
        const lastHour = clock.now() - HOUR;
        return shiftedScores((w) => w.since >= lastHour);
      },
    },
    { mode: 'tick', maxWaitMs: 0 },
  );
}

/** Each serve Deployment, oldest first: its version and its statuses' states. */
const serves = () =>
  github
    .deployments(environmentOf('fraud'))
    .filter((d) => d.task === 'deploy')
    .map((d) => ({
      version: (d.payload as { version: string }).version,
      statuses: d.statuses.filter((s) => !s.automatic).map((s) => `${s.state}: ${s.description}`),
    }));

describe("drift marks the drifted version's Deployment", () => {
  it("marks no other version's Deployment when the drifted one has none, and says so", async () => {
    const result = await tickAfter([promotion('v1', 'v2', 12)], 'v3');
    const [report] = result.drift ?? [];
    expect(report).toMatchObject({ version: 'v3', drifted: true });
    expect(report?.note).toMatch(
      /^fraud v3: prediction drift, PSI [\d.]+ \(level 0\.2\): the last 1h against the 1d before; v3 has no promotion or rollback on record \(it serves by a change made outside model-gate\), so no promotion's deployment is marked and no PR told; to roll back: run the workflow with command: rollback, model: fraud \(default back to v2\), or model-gate run rollback --model fraud$/,
    );
    expect(serves()).toEqual([{ version: 'v2', statuses: ['success: v2 passed every gate'] }]);
    expect(result.notify).toEqual([]);
  });

  it('marks the newest Deployment of the drifted version, not the newer one of another', async () => {
    const result = await tickAfter([promotion('v0', 'v1', 11), promotion('v1', 'v2', 12)], 'v1');
    const note = result.drift?.[0]?.note ?? '';
    expect(note).toMatch(
      /^fraud v1: prediction drift, PSI [\d.]+ \(level 0\.2\): the last 1h against the 1d before; to roll back: run the workflow with command: rollback, model: fraud, to-version: the version to serve, or model-gate run rollback --model fraud --to-version VERSION$/,
    );
    expect(serves()).toEqual([
      {
        version: 'v1',
        statuses: [
          'success: v1 passed every gate',
          'inactive: replaced by v2',
          // The status says the drift; its next step is in the PR's note and the run.
          `failure: ${note.replace(/; to roll back: .*$/, '')}`,
        ],
      },
      { version: 'v2', statuses: ['success: v2 passed every gate'] },
    ]);
    expect(result.notify).toEqual([{ pr: 11, model: 'fraud', why: note }]);
  });
});
