/**
 * An overwhelming regression (every candidate request an error, none on the stable version, over
 * 10,000 requests) drives the sequential judge's e-value past what a double holds: exp() gives ∞.
 * The report a reviewer reads says `e-value >10¹²`, never "∞", "Infinity", "NaN" or "1e+308", and
 * a statistic the judge could not bound or compute reads `∞` or `–`. Through the real judge and
 * the engine's tick, rendered as the PR comment.
 */
import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import type { Release } from '../../src/release/types.js';
import { formatStatistic, formatValue } from '../../src/report/format.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { eValueText } from '../../src/stats/counts.js';
import { type ArmBehaviour, FakeCounts } from '../gates/fake-metrics.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel } from '../support/model-config.js';

const errors = {
  kind: 'ratio',
  name: 'errors',
  events: 'errors',
  total: 'requests',
  judge: 'sequential',
  maxIncrease: 0.1,
  alpha: 0.025,
  failureLimit: 0,
  consecutiveErrorLimit: 4,
} as GateConfig;

/** fraud v1 → v3 on one 10% step, looked at every minute until it ends; the PR comment's text. */
async function reported(stable: ArmBehaviour, canary: ArmBehaviour): Promise<{ r: Release; text: string }> {
  const config = canaryModel({
    gates: [errors],
    strategy: {
      type: 'canary',
      steps: [10],
      stepDurationMs: 3_600_000,
      minRequests: 100,
      intervalMs: 60_000,
    },
  });
  const clock = new FakeClock();
  const ctx: ReleaseContext = {
    config,
    target: new MemoryTarget(),
    metrics: new FakeCounts({ stable, canary }),
    clock,
  };
  let r = newRelease(config, { from: 'v1', to: 'v3', pr: 7, headSha: 'b'.repeat(40), now: clock.now() });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(60_000);
  }
  const all = { version: 1 as const, allowForks: false, models: { fraud: config } };
  return { r, text: renderMarkdown(all, { releases: [r], skipped: [] }, { now: clock.now() }) };
}

describe('an overwhelming regression in the report', () => {
  it('reads "e-value >10¹²" in the headline, the gate row and the phase history', async () => {
    // 10,000 candidate requests in the first minute, every one an error; none on 90,000 stable ones.
    const { r, text } = await reported(
      { rps: 1500, errorRate: 0, medianMs: 40 },
      { rps: 10_000 / 60, errorRate: 1, medianMs: 40 },
    );
    expect(r.status).toBe('failed');
    expect(r.gates[0]?.last?.canaryRequests).toBe(10_000);
    // The judge's own figure did overflow: what the report shows is the formatting's doing.
    expect(r.gates[0]?.last?.evidence?.eValue).toBe(Number.POSITIVE_INFINITY);
    // As markdown escapes it (`\>` reads `>` on GitHub).
    const said = '100% on v3 vs 0% on v1 (at least ×6000; tolerated ×1.1); strong evidence of a regression';
    expect(text).toContain(
      `\n- fraud v3 was rolled back to v1 in step 1 of 1 (10% of live traffic): errors: ${said}\n`,
    );
    expect(text).toMatch(
      /^\| errors \(errors \/ requests\) \| 100% \(10,000 req\) \| 0% \(90,000 req\) \| .* \| ❌ fail: 100% on v3 .*; strong evidence of a regression \(e-value \\>10¹²; 40 needed\) \|$/m,
    );
    expect(text).toContain(`| failed: errors: ${said} |`);
    expect(text).not.toMatch(/e-value ∞|e\+308/);
  });
});

describe('the figures of the evidence', () => {
  it('shows an e-value past a trillion as >10¹², whatever its size or overflow', () => {
    expect([45.2, 2.49e10, 1e12, 3.1e12, 1e308, Number.POSITIVE_INFINITY].map(eValueText)).toEqual([
      '45.2',
      '2.49e+10',
      '1.00e+12',
      '>10¹²',
      '>10¹²',
      '>10¹²',
    ]);
    expect(eValueText(Number.NaN)).toBe('–');
  });

  it('shows an interval open above as ∞ and a statistic that is not a number as –', () => {
    expect(
      [6058.06, 90_000, 2.81e15, Number.POSITIVE_INFINITY, Number.NaN, undefined].map(formatStatistic),
    ).toEqual(['6060', '90000', '2.81e+15', '∞', '–', '–']);
  });

  it('shows a metric value of +Inf (a quantile in the last bucket) as ∞, not "Infinity ms"', () => {
    expect(formatValue('latency-p99', Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatValue('error-rate', Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatValue('p99', Number.POSITIVE_INFINITY)).toBe('∞');
  });
});
