import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { handleCommand } from '../../src/release/commands.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { runDecision } from '../../src/report/decision.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { healthyMetrics, MODEL, prOnSandbox } from './pr-on-sandbox.js';

// The drift watch of a model whose stable version just changed. v1 (promoted from v0 by PR #3)
// serves on the real sandbox; PR #7's canary of v2 passes and merges. v2 is a new model: it scores
// the same callers higher than v1 did, a change its release gates judged. The watch's reference
// window used to be the 24h before the last hour whatever served then, so for a day each tick
// compared v2's scores with v1's and reported that change as drift of v2 (and a rollback's return
// to v1 as drift of v1). File ledger, fake clock; the stable slot's scores come from a stand-in
// that scores 1,000 predictions an hour with whichever version served them.
const HOUR = 3_600_000;
const MINUTE = 60_000;
const CANARY = '{ type: canary, steps: [50], step-duration: 5m, min-requests: 100, interval: 30s }';
const V1_SCORES = [0.4, 0.3, 0.2, 0.1];
const V2_SCORES = [0.1, 0.2, 0.3, 0.4];
/** v2's scores once its callers' inputs shift (real drift, long after its promotion). */
const V2_SHIFTED = [0.4, 0.3, 0.2, 0.1];

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

/** `2026-11-30 01:49 UTC`, rounded down or up to the minute. */
const utc = (ms: number, up = false) =>
  `${new Date(up ? Math.ceil(ms / MINUTE) * MINUTE : ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;

/**
 * The stable slot's predictions over a window, 1,000 an hour, scored by the version serving then:
 * `served` lists from when on which scores were given (oldest first).
 */
function stableScores(served: { from: number; shares: number[] }[], asked: MetricWindow[]): MetricSource {
  return Object.assign(healthyMetrics(), {
    buckets: async (_query: string, w: MetricWindow): Promise<Bucket[]> => {
      asked.push(w);
      const counts = [0, 0, 0, 0];
      served.forEach((s, i) => {
        const overlap = Math.min(w.until, served[i + 1]?.from ?? w.until) - Math.max(w.since, s.from);
        if (overlap <= 0) return;
        s.shares.forEach((share, b) => {
          counts[b] = (counts[b] as number) + (share * 1000 * overlap) / HOUR;
        });
      });
      let sum = 0;
      return counts.map((c, b) => {
        sum += Math.round(c);
        return { le: b === counts.length - 1 ? '+Inf' : (b + 1) / 4, count: sum };
      });
    },
  });
}

/** v1 serving since long ago; PR #7's v2 promoted through its canary and merge, at `promotedAt`. */
async function promotedWorld() {
  const served = [{ from: 0, shares: V1_SCORES }];
  const asked: MetricWindow[] = [];
  const w = await prOnSandbox(sandbox, {
    strategy: CANARY,
    from: 'v1',
    to: 'v2',
    promotedFrom: 'v0',
    more: '    drift-watch: { window: 1h, reference: 24h, max-psi: 0.2 }\n',
    metrics: stableScores(served, asked),
  });
  expect((await w.open('watch')).releases[0]?.status).toBe('ready');
  expect((await w.merge()).releases[0]?.status).toBe('promoted');
  const promotedAt = w.clock.now();
  served.push({ from: promotedAt, shares: V2_SCORES });
  const tick = async () => {
    asked.length = 0;
    return handleSchedule(w.config, w.ports, { mode: 'tick', maxWaitMs: 0 });
  };
  const driftRecorded = async () => JSON.parse(await readFile(w.ledgerPath, 'utf8')).drift;
  const rollback = () =>
    handleCommand(
      w.config,
      'rollback',
      { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' },
      w.ports,
    );
  return { ...w, served, asked, promotedAt, tick, driftRecorded, rollback };
}

describe('the drift watch after a promotion', () => {
  it("2 hours after v2's promotion: not checked, the reference since the promotion still filling; nothing pinned on v2 or PR #7", async () => {
    const w = await promotedWorld();
    w.clock.advance(2 * HOUR);

    const result = await w.tick();
    expect(result.drift).toEqual([
      {
        model: MODEL,
        version: 'v2',
        drifted: false,
        inconclusive: true,
        note: `${MODEL} v2: drift not checked (inconclusive): the reference window since v2 was promoted at ${utc(w.promotedAt)} is still filling; the first look (the last 1h against the 1d before, all after it) is due at ${utc(w.promotedAt + 25 * HOUR, true)}`,
      },
    ]);
    expect(runDecision(result)).not.toBe('failed');
    expect(result.notify).toEqual([]);
    expect(await w.driftRecorded()).toBeUndefined();
  });

  it('once a day and an hour of v2 have passed: looks at v2 against v2 alone, and still catches a later shift', async () => {
    const w = await promotedWorld();
    w.clock.advance(25 * HOUR);
    const quiet = await w.tick();
    expect(quiet.drift?.[0]?.note).toMatch(
      new RegExp(`^${MODEL} v2: no drift shown, PSI 0\\.000 .*: the last 1h against the 1d before$`),
    );
    expect(w.asked.map((a) => a.since >= w.promotedAt)).toEqual([true, true]);

    // Five hours later v2's callers change: the last hour scores low.
    w.served.push({ from: w.clock.now() + 4 * HOUR, shares: V2_SHIFTED });
    w.clock.advance(5 * HOUR);
    const shifted = await w.tick();
    expect(shifted.drift?.[0]).toMatchObject({ version: 'v2', drifted: true });
    expect(shifted.drift?.[0]?.note).toMatch(new RegExp(`^${MODEL} v2: prediction drift, PSI`));
    expect(shifted.notify).toEqual([{ pr: 7, model: MODEL, why: shifted.drift?.[0]?.note }]);
    expect(await w.driftRecorded()).toHaveLength(1);
  });
});

describe('the drift watch after a rollback', () => {
  it('2 hours after v2 was rolled back to v1: not checked, the reference since the rollback still filling; no drift of v1', async () => {
    const w = await promotedWorld();
    w.clock.advance(3 * 24 * HOUR);
    expect((await w.tick()).drift?.[0]?.note).toMatch(new RegExp(`^${MODEL} v2: no drift`));
    expect((await w.rollback()).rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    const rolledBackAt = w.clock.now();
    w.served.push({ from: rolledBackAt, shares: V1_SCORES });
    w.clock.advance(2 * HOUR);

    const result = await w.tick();
    expect(result.drift?.[0]).toMatchObject({ version: 'v1', drifted: false, inconclusive: true });
    expect(result.drift?.[0]?.note).toBe(
      `${MODEL} v1: drift not checked (inconclusive): the reference window since the rollback to v1 at ${utc(rolledBackAt)} is still filling; the first look (the last 1h against the 1d before, all after it) is due at ${utc(rolledBackAt + 25 * HOUR, true)}`,
    );
    expect(runDecision(result)).not.toBe('failed');
    expect(await w.driftRecorded()).toBeUndefined();
  });
});
