import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { runSchedule } from '../../src/release/schedule.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { driftWatchYaml, sha } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

export const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const HOUR = 3_600_000;
const TICK = 15 * 60_000;
export const runUrl = (n: number) => `https://github.com/Codertocat/Hello-World/actions/runs/${n}`;

/** A schedule job's options: a dry run; a hook run before each of its requests to GitHub (`POST /repos/{owner}/…`, the URL template). */
interface TickOptions {
  dryRun?: boolean;
  beforeRequest?: (request: string) => Promise<void>;
}

/**
 * A drift-watch test file's world: the GitHub stand-in, fresh for each test (its requests checked
 * against the OpenAPI description), and `promotedV2(drifting)`: stable v2 promoted by PR #7, whose
 * `tick()` runs a schedule job (its own ledger, as each job has) 15 minutes after the last, the
 * latency shifted in the last hour while `drifting`. `recorded: false`: v2 serves with no
 * Deployment (put in place before model-gate recorded promotions).
 */
export function useGitHubDriftWorld() {
  const world = { github: undefined as unknown as FakeGitHub, promotedV2 };
  beforeEach(async () => {
    world.github = await startFakeGitHub(repo);
  });
  afterEach(async () => {
    expect(world.github.violations).toEqual([]);
    await world.github.close();
  });
  async function promotedV2(drifting: boolean, { recorded = true } = {}) {
    const ledgerOf = (run: number, beforeRequest?: TickOptions['beforeRequest']) => {
      const client = getOctokit('ghs_x', { baseUrl: world.github.url });
      if (beforeRequest) client.hook.before('request', (o) => beforeRequest(`${o.method} ${o.url}`));
      return new GitHubLedger({ client, repo, sha: sha(999), runUrl: runUrl(run), runId: run });
    };
    const first = ledgerOf(0);
    if (recorded)
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
    const last = (await first.history('fraud')).at(-1)?.at;
    const clock = last === undefined ? new FakeClock() : new FakeClock(last + 2 * 24 * HOUR);
    const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
    let run = 0;
    const w = {
      clock,
      drifting,
      /** Which windows are shifted, where set; else the last hour's while `drifting`. */
      shifted: undefined as ((m: MetricWindow) => boolean) | undefined,
      /** The version the platform serves. */
      serving: 'v2',
      /** Records a promotion or rollback as another job would. */
      record: (entry: Omit<LedgerEntry, 'model' | 'at'>) =>
        ledgerOf(0).record({ model: 'fraud', at: 0, ...entry }),
      /** One schedule job: its result, and its requests to GitHub as `METHOD operation`. */
      async tick(opts: TickOptions = {}) {
        run += 1;
        clock.advance(TICK);
        world.github.resetRequests();
        const result = await runSchedule(
          config,
          {
            ledger: ledgerOf(run, opts.beforeRequest),
            reader: memoryFileReader({}),
            clock,
            log: { info: () => {}, warn: () => {} },
            targetFor: () => new MemoryTarget({ stable: { version: w.serving } }),
            metricsFor: () => {
              const lastHour = clock.now() - HOUR;
              return shiftedScores(w.shifted ?? ((m) => w.drifting && m.since >= lastHour));
            },
          },
          { mode: 'tick', maxWaitMs: 0, ...(opts.dryRun ? { dryRun: true } : {}) },
        );
        const requests = world.github.requests.map((r) => `${r.method} ${r.operationId}`);
        return { result, requests };
      },
    };
    return w;
  }
  return world;
}
