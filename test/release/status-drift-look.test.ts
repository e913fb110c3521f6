import { readFile } from 'node:fs/promises';
import { getOctokit } from '@actions/github';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { MetricsError } from '../../src/core/errors.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { handleCommand } from '../../src/release/commands.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { utcMinute } from '../../src/report/format.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { repo, runUrl, useGitHubDriftWorld } from '../github/drift-world.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml, sha } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// command status on a model with a drift watch said at most "drifting since …, on record; a status
// run does not look again": no statistic, no level, nothing of a drift not on record yet. Neither
// ledger keeps each check, so status now takes the watch's look itself, as a dry-run tick does
// (recording nothing), and says when, PSI with its band, Jensen-Shannon, Wasserstein and KS, the
// level, and whether a drift is on record. A stable v2 on a file ledger, its predictions shifted
// in the last hour while `drifting`.
const HOUR = 3_600_000;
const T0 = '2026-01-01 00:00 UTC';
// The four-bucket histograms of shiftedScores, 0.1..0.4 against 0.4..0.1.
// shiftedScores' top finite bound is 0.75: Wasserstein counts its +Inf bucket there, a lower bound.
const SHIFTED =
  'PSI 0.913 (major shift), Jensen-Shannon 0.392 (notable shift), Wasserstein ≥ 0.212 (values above 0.75 counted as 0.75), KS distance 0.4';
const SAME =
  'PSI 0 (no shift), Jensen-Shannon 0 (no notable shift), Wasserstein ≥ 0 (values above 0.75 counted as 0.75), KS distance 0';

async function world() {
  const clock = new FakeClock();
  const { ledger, path } = await fraudV2PromotedLongAgo(clock, 'model-gate-status-drift-');
  const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
  const w = {
    clock,
    drifting: true,
    metricsDown: false,
    /** What the status run logged as warnings. */
    warnings: [] as string[],
    /** The ledger file's drift entries. */
    entries: async (): Promise<unknown[]> => JSON.parse(await readFile(path, 'utf8')).drift ?? [],
    ports() {
      const metrics = (): MetricSource => {
        if (w.metricsDown)
          return {
            requests: async () => 0,
            value: async () => undefined,
            buckets: async () => {
              throw new MetricsError('connect ECONNREFUSED 127.0.0.1:9090');
            },
          };
        const lastHour = clock.now() - HOUR;
        return shiftedScores((m) => w.drifting && m.since >= lastHour);
      };
      const ports = driftWatchPorts({ ledger, clock, serving: 'v2', metrics });
      return { ...ports, log: { info: () => {}, warn: (m: string) => w.warnings.push(m) } };
    },
    async status() {
      const result = await handleCommand(config, 'status', { dryRun: false }, w.ports());
      const report = renderMarkdown(config, result, { now: clock.now() });
      return { result, report, lines: report.split('\n') };
    },
    async tick() {
      await handleSchedule(config, w.ports(), { mode: 'tick', maxWaitMs: 0 });
    },
  };
  return w;
}

const NEXT_STEP =
  'to roll back: run the workflow with command: rollback, model: fraud (default back to v1), or model-gate run rollback --model fraud';

describe('command status of a model with a drift watch', () => {
  it('a drift not on record yet: the statistics, the level, "found now, not recorded", a warning; nothing recorded', async () => {
    const w = await world();
    const s = await w.status();
    expect(s.lines[0]).toBe('## model-gate: ⚠️ Status: nothing in flight; drift found (not alerted yet)');
    expect(s.report).toContain(
      `- fraud v2: drift watch looked at ${T0} by this status run, recording nothing: ${SHIFTED}; level (max-psi) 0.2: drifted; found now, not recorded: the next schedule tick alerts; ${NEXT_STEP}\n`,
    );
    expect(s.report).not.toContain('a status run does not look again');
    // Read only: no drift entry, and no alert (the run does not fail, result.drift untouched).
    expect(await w.entries()).toEqual([]);
    expect(s.result.drift).toBeUndefined();
  });

  it('a drift on record: since when and by whom, with this look’s statistics', async () => {
    const w = await world();
    await w.tick();
    w.clock.advance(HOUR);
    const s = await w.status();
    expect(s.lines[0]).toBe('## model-gate: ⚠️ Status: nothing in flight; still drifting (alerted before)');
    expect(s.report).toContain(
      `- fraud v2: drift watch looked at 2026-01-01 01:00 UTC by this status run, recording nothing: ${SHIFTED}; level (max-psi) 0.2: drifted; on record since ${T0} (first alerted by the tick then): no new alert until it ends; ${NEXT_STEP}\n`,
    );
    expect(await w.entries()).toHaveLength(1);
  });

  it('no drift: the statistics and "no drift" under an info heading', async () => {
    const w = await world();
    w.drifting = false;
    const s = await w.status();
    expect(s.lines[0]).toBe('## model-gate: ℹ️ Status: nothing in flight');
    expect(s.report).toContain(
      `- fraud v2: drift watch looked at ${T0} by this status run, recording nothing: ${SAME}; level (max-psi) 0.2: no drift\n`,
    );
  });

  it('a drift on record that this look finds over: the next tick records its end', async () => {
    const w = await world();
    await w.tick();
    w.clock.advance(HOUR);
    w.drifting = false;
    const s = await w.status();
    expect(s.lines[0]).toBe('## model-gate: ℹ️ Status: nothing in flight');
    expect(s.report).toMatch(
      /- fraud v2: drift watch looked at 2026-01-01 01:00 UTC by this status run, recording nothing: PSI [^;]+; level \(max-psi\) 0\.2: no drift; the drift on record since 2026-01-01 00:00 UTC \(first alerted by the tick then\) is over by this look: the next schedule tick records its end\n/,
    );
    expect(await w.entries()).toHaveLength(1);
  });

  it('the metrics source failing: a line saying so and the drift on record, never a failed status', async () => {
    const w = await world();
    await w.tick();
    w.clock.advance(HOUR);
    w.metricsDown = true;
    const s = await w.status();
    expect(s.lines[0]).toBe('## model-gate: ⚠️ Status: nothing in flight; still drifting (alerted before)');
    expect(s.report).toContain(
      '- fraud v2: drift not checked (inconclusive): the metrics source sandbox at http://127.0.0.1:1 could not answer: connect ECONNREFUSED 127.0.0.1:9090; the next schedule tick looks again (looked at 2026-01-01 01:00 UTC by this status run, recording nothing); a drift on record since 2026-01-01 00:00 UTC (first alerted by the tick then), not over\n',
    );
    // Said once, in the report: not a warning too (it was, word for word, saying "the next tick").
    expect(w.warnings.filter((m) => m.includes('drift not checked'))).toEqual([]);
  });
});

describe('command status of a model with a drift watch, on GitHub', () => {
  const driftWorld = useGitHubDriftWorld();

  it('names the run that alerted the drift on record, and writes nothing to GitHub', async () => {
    const w = await driftWorld.promotedV2(true);
    const tick = await w.tick();
    expect(tick.result.drift?.[0]?.drifted).toBe(true);
    w.clock.advance(HOUR);
    driftWorld.github.resetRequests();
    const ports = driftWatchPorts({
      ledger: new GitHubLedger({
        client: getOctokit('ghs_x', { baseUrl: driftWorld.github.url }),
        repo,
        sha: sha(999),
        runUrl: runUrl(50),
        runId: 50,
      }),
      clock: w.clock,
      serving: 'v2',
      metrics: () => shiftedScores((m) => m.since >= w.clock.now() - HOUR),
    });
    const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }'), {});
    const result = await handleCommand(config, 'status', { dryRun: false }, ports);
    const report = renderMarkdown(config, result, { now: w.clock.now() });
    expect(report.split('\n')[0]).toBe(
      '## model-gate: ⚠️ Status: nothing in flight; still drifting (alerted before)',
    );
    expect(report).toContain(
      `- fraud v2: drift watch looked at ${utcMinute(w.clock.now())} by this status run, recording nothing: ${SHIFTED}; level (max-psi) 0.2: drifted; on record since `,
    );
    expect(report).toContain(`(first alerted by ${runUrl(1)}): no new alert until it ends; ${NEXT_STEP}\n`);
    expect(driftWorld.github.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
