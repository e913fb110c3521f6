import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { row, startGreen } from '../report/release-world.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { recordWorld } from './tick-record-world.js';

// A traffic change into the next phase that the platform half applies and then fails (green given
// 100% of live traffic, then a time-out): the release is rolled back, and its phase history says
// what happened: the phase before passed, the switch into the next one failed. It used to show the
// phase before as failed ("smoke on green | 0% | failed: the serving platform failed"), and never
// that green was given 100%.

let green: Awaited<ReturnType<typeof startGreen>>;
beforeAll(async () => {
  green = await startGreen();
});
afterAll(() => green.close());

const GATES = ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'];
const healthy = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
const TIMED_OUT = 'platform timed out half-way through the change';

describe('a switch into the next phase that half applies, then fails', () => {
  it('blue-green: the smoke test on green passed, the switch to 100% failed; blue serves again', async () => {
    const w = await recordWorld(
      `{ type: blue-green, bake-duration: 1m, rollback-window: 1h, step-duration: 1m, min-requests: 100, interval: 10s, smoke: { url: "${green.url}", requests: [{ features: [1] }], repeat: 1 } }`,
      GATES,
      healthy(),
    );
    const switched = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } };
    w.target.fault = (desired) => (desired.canary?.weight === 100 ? switched : undefined);
    const [release] = (await handlePullRequest(w.config, w.event(), w.ports, watch)).releases;
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(release).toMatchObject({ status: 'failed', reason: `the serving platform failed: ${TIMED_OUT}` });
    expect(release?.phases.map((p) => [p.name, p.weight, p.outcome])).toEqual([
      ['smoke on green', 0, 'passed'],
      ['bake on green', 100, 'failed'],
    ]);
    expect(release?.phases[1]?.note).toBe(`the switch to 100% of live traffic failed: ${TIMED_OUT}`);
    const report = renderMarkdown(w.config, { releases: release ? [release] : [], skipped: [] }, { now: 0 });
    expect(row(report, 'smoke on green')).toMatch(/\| passed: smoke: 1 synthetic request to green, 0 failed/);
    expect(row(report, 'bake on green')).toMatch(
      /^\| bake on green \| 100% \| .* \| failed: the switch to 100% of live traffic failed: platform timed out/,
    );
  });

  it('canary: step 1 passed, the switch to step 2 failed', async () => {
    const w = await recordWorld(
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      GATES,
      healthy(),
    );
    w.target.fault = (desired) => (desired.canary?.weight === 50 ? 'throw' : undefined);
    const [release] = (await handlePullRequest(w.config, w.event(), w.ports, watch)).releases;
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(release?.phases.map((p) => [p.name, p.outcome, p.note])).toEqual([
      ['step 1 of 2', 'passed', undefined],
      [
        'step 2 of 2',
        'failed',
        'the switch to 50% of live traffic failed: platform refused the change (500)',
      ],
    ]);
  });

  it('shadow: the switch to a mirror failed, said as such (not "no live traffic")', async () => {
    const w = await recordWorld(
      '{ type: shadow, share: 50, duration: 1m, min-requests: 100, interval: 10s }',
      GATES,
      healthy(),
    );
    w.target.fault = (desired) => (desired.mirror?.share === 50 ? 'throw' : undefined);
    const [release] = (await handlePullRequest(w.config, w.event(), w.ports, watch)).releases;
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(release?.phases.map((p) => p.note)).toEqual([
      'the switch to a mirror of 50% of requests failed: platform refused the change (500)',
    ]);
  });

  it('canary: every step passed, taking v2 out of live traffic after them failed; the steps stay passed', async () => {
    const w = await recordWorld(
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      GATES,
      healthy(),
    );
    w.target.fault = (desired) => (desired.canary?.weight === 0 ? 'throw' : undefined);
    const [release] = (await handlePullRequest(w.config, w.event(), w.ports, watch)).releases;
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(release).toMatchObject({
      status: 'failed',
      reason: 'the serving platform failed: platform refused the change (500)',
    });
    expect(release?.phases.map((p) => [p.name, p.outcome])).toEqual([
      ['step 1 of 2', 'passed'],
      ['step 2 of 2', 'passed'],
    ]);
  });
});
