import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { blueGreenWith, configWith, released, report, row, startGreen } from './release-world.js';

// FakeCounts' `converted-users` (its `errors`) stand for conversions here, and its `errorRate` for the conversion rate.
const conversionGate =
  '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users, margin: 10% }';
const abStrategy =
  '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 30m, min-requests: 200, interval: 10s }';
const arm = (rps: number, errorRate: number) => ({ rps, errorRate, medianMs: 40 });

describe('the report of an A/B release', () => {
  const config = configWith(abStrategy, ['{ name: split, kind: srm, units: users }', conversionGate]);
  const metrics = new FakeCounts({ stable: arm(20, 0.28), canary: arm(20, 0.3) });

  it("shows a passed conversion gate's lift and how early in its planned sample it decided", async () => {
    const r = await released(config, metrics);
    expect(r.status).toBe('ready');
    const text = report(config, r);
    const conversion = row(text, 'conversion (converted-users / exposed-users)');
    expect(conversion).toMatch(
      /^\| conversion \(converted-users \/ exposed-users\) \| 30\.00% .*\| ✅ pass: .*lift \+7\.1%/,
    );
    expect(conversion).toMatch(/decided at \d+% of the \d{1,3}(,\d{3})* planned candidate users/);
    expect(conversion).not.toMatch(/fixed-horizon/);
    expect(renderTerminal(config, { releases: [r], skipped: [] }, r.updatedAt)).toMatch(
      /conversion \(converted-users \/ exposed-users\) .*✅ pass: .*decided at \d+% of the [\d,]+ planned candidate users/,
    );
  });

  it('says in the terminal too, as in the PR comment, when the platform splits each request at random', async () => {
    const r = await released(config, metrics);
    const fraud = config.models.fraud as ModelConfig;
    const onSageMaker: Config = {
      ...config,
      models: {
        fraud: { ...fraud, target: { ...fraud.target, type: 'sagemaker' } as ModelConfig['target'] },
      },
    };
    const said = 'the sagemaker target splits each request at random by weight, not by x-user-id';
    expect(report(onSageMaker, r)).toContain(said);
    expect(renderTerminal(onSageMaker, { releases: [r], skipped: [] }, r.updatedAt)).toContain(
      `  note: ${said}`,
    );
    expect(renderTerminal(config, { releases: [r], skipped: [] }, r.updatedAt)).not.toContain('note:');
  });

  it("shows the split check's configured share as such, and charts conversion, not the split", async () => {
    const r = await released(config, metrics);
    const text = report(config, r);
    expect(row(text, 'split (user split)')).toMatch(
      /^\| split \(user split\) \| 50% \([\d,]+ users\) \| configured 50% \(stable: [\d,]+ users\) \|/,
    );
    expect(text).toContain('  title "conversion (passed): the line is candidate v2, the bars baseline v1"');
  });
});

describe('the report of an A/B whose split check counts users (units)', () => {
  /** FakeCounts whose count query `users` is a quarter of the requests (four requests a user). */
  class WithUsers extends FakeCounts {
    override async count(query: string, w: MetricWindow) {
      if (query !== 'users') return super.count(query, w);
      return Math.floor((await this.requests(w)) / 4);
    }
  }

  it('says the split is of users, and counts users on both arms', async () => {
    const config = configWith(abStrategy, ['{ name: split, kind: srm, units: users }', conversionGate]);
    const r = await released(config, new WithUsers({ stable: arm(20, 0.28), canary: arm(20, 0.3) }));
    expect(row(report(config, r), 'split (user split)')).toMatch(
      /^\| split \(user split\) \| 50% \([\d,]+ users\) \| configured 50% \(stable: [\d,]+ users\) \|.*of [\d,]+ users, configured 50%/,
    );
  });
});

describe('the phase history', () => {
  it('shows a shadow run as the share mirrored to the candidate, whose answers callers never get', async () => {
    const config = configWith(
      '{ type: shadow, share: 50, duration: 1m, step-duration: 2m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    );
    const metrics = new ScriptedMetrics({
      stable: { rps: 40, values: { 'error-rate': 0.004 } },
      canary: { rps: 20, values: { 'error-rate': 0.004 } },
    });
    const r = await released(config, metrics);
    expect(r.status).toBe('ready');
    expect(report(config, r)).toContain(
      '| shadow 50% of requests | mirror 50% (answers never returned) | 2026-01-01 00:00:00 | 1m 00s | passed |',
    );
    expect(renderTerminal(config, { releases: [r], skipped: [] }, r.updatedAt)).toMatch(
      /shadow 50% of requests +mirror 50% \(answers never returned\) +1m 00s +passed/,
    );
  });

  describe('of a blue-green release with a smoke test', () => {
    let green: Awaited<ReturnType<typeof startGreen>>;
    beforeAll(async () => {
      green = await startGreen();
    });
    afterAll(() => green.close());
    const blueGreen = (requests: string) => blueGreenWith(green.url, requests);

    it("shows the smoke phase's results: how many golden requests went to green and how many failed", async () => {
      const config = blueGreen('[{ x: 1 }, { x: 2 }]');
      const metrics = new ScriptedMetrics({
        stable: { rps: 40, values: { 'error-rate': 0.004 } },
        canary: { rps: 40, values: { 'error-rate': 0.004 } },
      });
      const r = await released(config, metrics);
      expect(r.status).toBe('ready');
      expect(report(config, r)).toMatch(
        /\n\| smoke on green \| 0% \| [\d: -]+ \| [^|]+ \| passed: smoke: 4 synthetic requests to green, 0 failed, p95 \d+ ms \|\n\| bake on green \| 100% \|/,
      );
    });

    it('shows a failed smoke once, and the bake gates that never ran as not run', async () => {
      const config = blueGreen('[{ x: 1 }, { bad: 1 }]');
      const r = await released(
        config,
        new ScriptedMetrics({ stable: { rps: 40, values: {} }, canary: { rps: 40, values: {} } }),
      );
      expect(r.status).toBe('failed');
      const text = report(config, r);
      expect(text).toMatch(
        /\n\| smoke on green \| 0% \| [^|]+ \| [^|]+ \| failed: smoke: 4 synthetic requests to green, 2 failed \(request 2: .*\) \(max-errors 0\), p95 \d+ ms \|\n/,
      );
      expect(row(text, 'errors (error-rate)')).toBe('| errors (error-rate) | – | – | ≤ 2.00% | ➖ not run |');
    });
  });
});

describe('the note of a passed gate', () => {
  const errorsGate = '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }';

  it("explains why a rolling release's last batch passed a side-by-side gate without judging it", async () => {
    const config = configWith(
      '{ type: rolling, instances: 4, batch-size: 2, step-duration: 10m, min-requests: 200, interval: 10s }',
      [errorsGate],
    );
    const r = await released(config, new FakeCounts({ stable: arm(50, 0.01), canary: arm(50, 0.005) }));
    expect(r.status).toBe('ready');
    expect(row(report(config, r), 'errors (errors / requests)')).toMatch(
      /\| ✅ pass: not judged at 100% of traffic: no stable traffic left to compare with \(judged in the earlier phases\) \|$/,
    );
  });

  it("says a statistical gate passed at the step's deadline, having found no regression", async () => {
    const config = configWith(
      '{ type: canary, steps: [5], step-duration: 2m, min-requests: 50, interval: 10s }',
      [errorsGate],
    );
    const r = await released(config, new FakeCounts({ stable: arm(95, 0.01), canary: arm(5, 0.01) }));
    expect(r.status).toBe('ready');
    const text = report(config, r);
    expect(row(text, 'errors (errors / requests)')).toMatch(
      /\| ✅ pass: no regression found by the step's deadline \(not proof of none\): 1% on v2 vs 1% on v1 \(×1, between ×[\d.]+ and ×[\d.]+; tolerated ×1\.1\); not enough evidence either way \(e-value \S+; 20 needed\) \|$/,
    );
    expect(text).toMatch(
      /\| step 1 of 1 \| 5% \| [^|]+ \| 2m 00s \| passed: no regression detected by errors within 2m \|/,
    );
  });

  it('fails an A/B whose conversion never decided, even when must-have-data is off: only a shown winner is promoted', async () => {
    const config = configWith(
      abStrategy.replace('30m', '2m'),
      ['{ name: split, kind: srm, units: users }', conversionGate],
      'must-have-data: false',
    );
    const r = await released(config, new FakeCounts({ stable: arm(20, 0.3), canary: arm(20, 0.3) }));
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(
      /^not shown non-inferior \(margin 10%\) by the 2m step-duration cap at A\/B 50\/50 by x-user-id: conversion at \d+% of its planned sample /,
    );
  });
});
