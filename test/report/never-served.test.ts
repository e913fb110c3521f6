import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTerminal } from '../../src/report/terminal.js';
import { MemoryTarget } from '../support/memory-target.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { blueGreenWith, configWith, released, report, startGreen } from './release-world.js';

// A candidate that failed before any caller got one of its answers was not "rolled back": the
// comment says where it failed and that it never served callers. Status and reason stay as they were.

let green: Awaited<ReturnType<typeof startGreen>>;
beforeAll(async () => {
  green = await startGreen();
});
afterAll(() => green.close());

const metrics = (candidateErrors: number) =>
  new ScriptedMetrics({
    stable: { rps: 40, values: { 'error-rate': 0.004 } },
    canary: { rps: 40, values: { 'error-rate': candidateErrors } },
  });
const decision = (text: string) => text.split('\n').slice(0, 3);

describe('the decision on a candidate that never served callers', () => {
  it('heads a failed shadow run as failed, saying its answers never reached callers', async () => {
    const config = configWith(
      '{ type: shadow, share: 50, duration: 1m, step-duration: 2m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    );
    const r = await released(config, metrics(0.12));
    expect(r).toMatchObject({ status: 'failed', reason: 'errors: 12.00% is above the max 2.00%' });
    expect(decision(report(config, r))).toEqual([
      '## model-gate: ❌ Failed',
      '',
      '- fraud v2 failed in shadow 50% of requests: errors: 12.00% is above the max 2.00%; it never served callers and was withdrawn',
    ]);
    expect(renderTerminal(config, { releases: [r], skipped: [] }, r.updatedAt).split('\n')[0]).toBe(
      'model-gate: ❌ Failed',
    );
  });

  it('heads a failed smoke test on green as failed, naming the phase once', async () => {
    const config = blueGreenWith(green.url, '[{ x: 1 }, { bad: 1 }]');
    const r = await released(config, metrics(0.004));
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/^smoke on green failed: smoke: 4 synthetic requests to green, 2 failed/);
    const [title, , sentence] = decision(report(config, r));
    expect(title).toBe('## model-gate: ❌ Failed');
    expect(sentence).toMatch(
      /^- fraud v2 failed in smoke on green: smoke: 4 synthetic requests to green, 2 failed \(request 2: .*\) \(max-errors 0\), p95 \d+ ms; it never served callers and was withdrawn$/,
    );
  });

  it('still says rolled back once green took live traffic: a failed bake', async () => {
    const config = blueGreenWith(green.url, '[{ x: 1 }]');
    const r = await released(config, metrics(0.12));
    expect(r.phases.map((p) => [p.name, p.outcome])).toEqual([
      ['smoke on green', 'passed'],
      ['bake on green', 'failed'],
    ]);
    expect(decision(report(config, r))).toEqual([
      '## model-gate: ❌ Rolled back',
      '',
      '- fraud v2 was rolled back to v1 in bake on green (100% of live traffic): errors: 12.00% is above the max 2.00%',
    ]);
  });

  it('still says rolled back when the switch to green failed: callers may have reached it', async () => {
    const config = blueGreenWith(green.url, '[{ x: 1 }]');
    const target = new MemoryTarget();
    // Green deployed at 0% for the smoke test; the switch to 100% silently does not take.
    const r = await released(config, metrics(0.004), {
      target,
      each: () => {
        if (target.writes.length === 1) target.revertNext = true;
      },
    });
    expect(r.status).toBe('failed');
    expect(r.phases.map((p) => [p.name, p.outcome])).toEqual([
      ['smoke on green', 'passed'],
      ['bake on green', 'failed'],
    ]);
    const [title, , sentence] = decision(report(config, r));
    // No verdict on the candidate: the platform failed, so the heading says the analysis could not run.
    expect(title).toBe('## model-gate: 🔌 Rolled back: the analysis could not run');
    expect(sentence).toMatch(
      /^- fraud v2 was rolled back to v1 without a verdict on it \(the serving platform failed: .*\); the analysis could not run, a fault outside the candidate: once it is fixed, push a new commit/,
    );
  });
});
