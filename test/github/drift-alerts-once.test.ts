import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { environmentOf } from '../../src/github/deployments.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { runSchedule } from '../../src/release/schedule.js';
import { runDecision } from '../../src/report/decision.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { driftWatchYaml, sha } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// After a latency shift on stable v2, every 15-minute tick found it drifted and added a `failure`
// status to v2's promotion Deployment, a note to PR #7 and a failed run, until the 24 h reference
// absorbed it. Now the drift's start alerts, its end says "drift over", nothing in between.
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const HOUR = 3_600_000;
const TICK = 15 * 60_000;
const runUrl = (n: number) => `https://github.com/Codertocat/Hello-World/actions/runs/${n}`;

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub(repo);
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** Stable v2 promoted by PR #7, then schedule runs (each its own ledger, as each job is), 15 minutes apart. */
async function world() {
  const ledgerOf = (run: number) =>
    new GitHubLedger({
      client: getOctokit('ghs_x', { baseUrl: github.url }),
      repo,
      sha: sha(999),
      runUrl: runUrl(run),
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
  // GitHub stamps the Deployment: the watch looks once a whole reference has passed since.
  const clock = new FakeClock(((await first.history('fraud')).at(-1)?.at ?? 0) + 2 * 24 * HOUR);
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  let run = 0;
  const w = {
    drifting: true,
    async tick() {
      run += 1;
      clock.advance(TICK);
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
      return {
        note: result.drift?.[0]?.note ?? '',
        notify: result.notify,
        failed: runDecision(result) === 'failed',
      };
    },
  };
  return w;
}

/** v2's promotion Deployment's statuses, oldest first: state, description, run. */
const statuses = () =>
  github
    .deployments(environmentOf('fraud'))
    .filter((d) => d.task === 'deploy')
    .flatMap((d) => d.statuses.filter((s) => !s.automatic))
    .map((s) => ({ state: s.state, description: s.description, run: s.logUrl }));

describe('a persisting drift on GitHub', () => {
  it('marks the Deployment failing once, notes PR #7 once and fails only the first run', async () => {
    const w = await world();
    const ticks = [];
    for (let i = 0; i < 6; i++) ticks.push(await w.tick());
    const began = ticks[0]?.note ?? '';

    expect(ticks.map((t) => t.failed)).toEqual([true, false, false, false, false, false]);
    expect(ticks.flatMap((t) => t.notify)).toEqual([{ pr: 7, model: 'fraud', why: began }]);
    expect(statuses()).toEqual([
      { state: 'success', description: 'v2 passed every gate', run: '' },
      { state: 'failure', description: began, run: runUrl(1) },
    ]);
    for (const t of ticks.slice(1))
      expect(t.note).toMatch(
        /; still drifting since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(first alerted by https:\/\/github\.com\/Codertocat\/Hello-World\/actions\/runs\/1\): no new alert until the drift ends$/,
      );
  });

  it('ends with one "drift over" status, and a drift that comes back alerts again', async () => {
    const w = await world();
    const first = await w.tick();
    await w.tick();
    w.drifting = false;
    const over = await w.tick();
    const quiet = await w.tick();
    w.drifting = true;
    const again = await w.tick();
    await w.tick();

    expect(over.note).toMatch(/; drift over \(drifting since .+ UTC, first alerted by .+\/runs\/1\)$/);
    expect(quiet.note).not.toMatch(/drift over/);
    expect(statuses().map((s) => `${s.state} ${s.run}`)).toEqual([
      'success ',
      `failure ${runUrl(1)}`,
      `success ${runUrl(3)}`,
      `failure ${runUrl(5)}`,
    ]);
    expect(statuses()[2]?.description).toMatch(/^drift over: fraud v2: no drift/);
    expect([first, again].flatMap((t) => t.notify)).toEqual([
      { pr: 7, model: 'fraud', why: first.note },
      { pr: 7, model: 'fraud', why: again.note },
    ]);
  });
});
