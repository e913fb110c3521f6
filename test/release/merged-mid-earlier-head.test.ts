import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { recordWorld } from './tick-record-world.js';

// A PR's canary of v2, analysed on its earlier head, still analysing when the PR is merged on a
// later head that declares v3 (no run analysed that head; on-merge: require-pass): v2 is withdrawn
// unpromoted. It served callers until the merge, so the merged PR's report shows the merge's last
// look at its gates, as for a candidate of the merged head itself (merged-mid-step-look.test.ts).

const ONCE = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };

/** fraud v1 → v2 on a canary a minute into step 2 (50%), no look there yet; merged on a head declaring v3. */
async function mergedOnALaterHead() {
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const w = await recordWorld(
    '{ type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 10s }',
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    metrics,
  );
  await handlePullRequest(w.config, w.event(), w.ports, ONCE);
  w.clock.advance(60_000);
  const tick = await handleSchedule(w.config, w.ports, ONCE);
  expect(tick.releases[0]).toMatchObject({ to: 'v2', status: 'analysing', phase: 1 });
  expect(w.target.state.canary).toEqual({ version: 'v2', weight: 50 });
  w.clock.advance(60_000);
  const reader = memoryFileReader({
    [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
    [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
    [sha(3)]: { 'fraud.yaml': 'version: v3\n' },
  });
  const merge = () =>
    handlePullRequest(
      w.config,
      { ...w.event('closed', true), headSha: sha(3) },
      { ...w.ports, reader },
      ONCE,
    );
  return { w, metrics, merge };
}

describe("a canary of the PR's earlier head, merged mid-step", () => {
  it("is rolled back as failed, and the report shows its last look's 20% errors as a failed gate, not 'not run'", async () => {
    const { w, metrics, merge } = await mergedOnALaterHead();
    metrics.slots.canary.values['error-rate'] = 0.2;
    const merged = await merge();
    const [release] = merged.releases;
    expect(release).toMatchObject({ to: 'v2', status: 'failed' });
    expect(release?.reason).toContain('not on the merged head');
    expect(release?.reason).toContain('v2 was not promoted (on-merge: require-pass)');
    // The gate it failed first, then why it was not promoted and what the user does next.
    expect(release?.reason).toMatch(
      /^errors: 20\.00% is above the max 2\.00% on its last look at the merge; .*; the base branch now declares v3 while v1 serves/,
    );
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    const report = renderMarkdown(w.config, merged, { now: w.clock.now() });
    expect(report).toContain('| errors (error-rate) | 20.00%');
    expect(report).toContain('❌ fail: 20.00% is above the max 2.00%');
    expect(report).not.toContain('not run');
  });

  it('metrics down at the merge: withdrawn all the same, the outage named in a warning', async () => {
    const { w, metrics, merge } = await mergedOnALaterHead();
    metrics.failing = true;
    const merged = await merge();
    expect(merged.releases[0]?.status).toBe('aborted');
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    // No look was answered in step 2: the row says so, as before.
    expect(renderMarkdown(w.config, merged, { now: w.clock.now() })).toContain('➖ not run in step 2 of 2');
    expect(w.warnings).toContainEqual(
      expect.stringContaining(
        'the last look at the gates before withdrawing v2 was not taken (metrics backend unreachable',
      ),
    );
  });
});
