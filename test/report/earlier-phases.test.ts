import { describe, expect, it } from 'vitest';
import { modelOutcomes } from '../../src/action/outcome.js';
import { ended } from '../../src/release/finish.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// What the comment says about a phase once the release has moved past it.

const thresholdErrors = '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }';

describe('a phase that passed without conclusive data (must-have-data: false)', () => {
  const config = configWith(
    '{ type: canary, steps: [5, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
    [thresholdErrors],
    'must-have-data: false',
  );
  // 1 candidate request a second: 60 of the 100 needed by step 1's deadline; enough from step 2 on.
  const metrics = () =>
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 1, values: { 'error-rate': 0.005 } },
    });
  const busierFromStep2 = (m: ScriptedMetrics) => (r: { phase: number }) => {
    if (r.phase >= 1) m.slots.canary.rps = 10;
  };
  const undecided = 'ended without conclusive data for errors (60 of 100 candidate requests)';

  it('keeps saying so in the phase history while the next phase runs, and after it', async () => {
    const m = metrics();
    const running = await released(config, m, { each: busierFromStep2(m), stop: (r) => r.phase === 1 });
    expect(row(report(config, running), 'step 1 of 2')).toBe(
      `| step 1 of 2 | 5% | 2026-01-01 00:00:00 | 1m 00s | passed: ${undecided} |`,
    );

    const m2 = metrics();
    const ready = await released(config, m2, { each: busierFromStep2(m2) });
    expect(ready.status).toBe('ready');
    expect(ready.gates[0]?.verdict).toBe('pass'); // step 2 decided it
    const text = report(config, ready);
    expect(row(text, 'step 1 of 2')).toBe(
      `| step 1 of 2 | 5% | 2026-01-01 00:00:00 | 1m 00s | passed: ${undecided} |`,
    );
    expect(row(text, 'step 2 of 2')).toMatch(/ \| passed \|$/);
  });

  it('does not call the candidate one that passed every gate: the summary names the undecided phase', async () => {
    const m = metrics();
    const ready = await released(config, m, { each: busierFromStep2(m) });
    expect(report(config, ready).split('\n')[2]).toBe(
      `- fraud v2 is ready to merge, but step 1 of 2 ${undecided} (must-have-data: false let the phase pass)`,
    );
  });

  it('keeps saying so in its reason once ready: the `models` output and the commit status do not read it as a clean pass', async () => {
    const m = metrics();
    const ready = await released(config, m, { each: busierFromStep2(m) });
    const idle = 'it serves no live traffic until the PR is merged';
    expect(modelOutcomes([ready])[0]?.reason).toBe(
      `v2 passed both phases, step 1 of 2 without conclusive data (must-have-data: false); ${idle}`,
    );
    const one = configWith(
      '{ type: canary, steps: [5], step-duration: 1m, min-requests: 100, interval: 10s }',
      [thresholdErrors],
      'must-have-data: false',
    );
    expect((await released(one, metrics())).reason).toBe(
      `v2 passed its one phase without conclusive data (must-have-data: false); ${idle}`,
    );
    const decided = await released(
      config,
      new ScriptedMetrics({ ...metrics().slots, canary: { rps: 10, values: { 'error-rate': 0.005 } } }),
    );
    expect(decided.reason).toBe(`v2 passed both phases; ${idle}`);
  });

  it('names every phase that passed without conclusive data, the last one included', async () => {
    const ready = await released(config, metrics());
    expect(ready.status).toBe('ready');
    expect(report(config, ready).split('\n')[2]).toBe(
      `- fraud v2 is ready to merge, but step 1 of 2 ${undecided}; step 2 of 2 ${undecided} (must-have-data: false let those phases pass)`,
    );
  });
});

describe("a gate's row when a new phase has begun", () => {
  const config = configWith(
    '{ type: canary, steps: [5, 25], step-duration: 10m, min-requests: 50, interval: 10s }',
    ['{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }'],
  );
  const arm = (rps: number, errorRate: number) => ({ rps, errorRate, medianMs: 40 });
  const healthy = () => new FakeCounts({ stable: arm(95, 0.01), canary: arm(5, 0.001) });
  const gateRow = (text: string) => row(text, 'errors (errors / requests)');

  it("shows the step before's last values, named as its, until the new step's first look", async () => {
    const entered = await released(config, healthy(), { stop: (r) => r.phase === 1 });
    expect(entered.reason).toBe('analysing step 2 of 2 (25% of live traffic)');
    const text = report(config, entered);
    expect(gateRow(text)).toBe(
      "| errors (errors / requests) | 0% in step 1 of 2 | 1% in step 1 of 2 | at most ×1.1 the baseline's rate | ⏳ pending: no look yet in step 2 of 2 |",
    );
    // Step 1's pass stays in the phase history, and its looks in the chart.
    expect(row(text, 'step 1 of 2')).toMatch(/ \| passed \|$/);
    expect(text).toContain('title "errors: the line is candidate v2, the bars baseline v1"');

    const looked = await released(config, healthy(), {
      stop: (r) => r.phase === 1 && r.gates[0]?.last !== undefined,
    });
    // Step 2's own look: 10 s of candidate requests, where step 1's last look had 80 s of them.
    expect(gateRow(report(config, looked))).toMatch(
      /^\| errors \(errors \/ requests\) \| 0% \(50 req\) \| [\d.]+% \([\d,]+ req\) \| .* \| ⏳ pending: 0% on v2 vs [\d.]+% on v1 \(.*\); not enough evidence either way \(e-value \S+; \d+ needed\)/,
    );
  });

  it('says a gate of a release withdrawn before its first look in the new step did not run there', async () => {
    const entered = await released(config, healthy(), { stop: (r) => r.phase === 1 });
    const withdrawn = ended(entered, 'aborted', 'the PR was closed without merging', entered.updatedAt);
    expect(gateRow(report(config, withdrawn))).toBe(
      "| errors (errors / requests) | 0% in step 1 of 2 | 1% in step 1 of 2 | at most ×1.1 the baseline's rate | ➖ not run in step 2 of 2 |",
    );
  });
});
