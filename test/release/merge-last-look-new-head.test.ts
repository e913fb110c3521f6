import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { recordWorld } from './tick-record-world.js';

// on-merge: analyze-then-promote. A PR's canary of v2, analysed on its earlier head, still
// analysing when the PR is merged on a later head that declares v3: v3's release replaces it, as a
// new push would. v2 served callers until then, yet it was superseded with no last look at its
// gates: its record (the comment the end was written to at once) showed the looks before, and a
// v2 at 20% errors ended "withdrawn", nothing saying it failed. It now gets the same last look as a
// candidate the merge withdraws (merged-mid-earlier-head.test.ts), and a failed look is said.

const ONCE = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };

/** fraud v1 → v2 on a canary in step 1 (10%), its PR's job having looked once; merged on a head declaring v3. */
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
  (w.config.models.fraud as ModelConfig).onMerge = 'analyze-then-promote';
  await handlePullRequest(w.config, w.event(), w.ports, ONCE);
  w.clock.advance(60_000);
  w.ports.reader = memoryFileReader({
    [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
    [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
    [sha(3)]: { 'fraud.yaml': 'version: v3\n' },
  });
  // Each write of the PR's comment, as the action's ports make it (at once for an end under way).
  const writes: Release[][] = [];
  const ports: Ports = { ...w.ports, onProgress: async (releases) => void writes.push(releases) };
  const merge = () =>
    handlePullRequest(w.config, { ...w.event('closed', true), headSha: sha(3) }, ports, ONCE);
  /** The comment as last written while v2 was on record. */
  const v2Comment = () => {
    const last = writes.findLast((rs) => rs.some((r) => r.to === 'v2')) ?? [];
    return renderMarkdown(
      w.config,
      { releases: last.filter((r) => r.to === 'v2'), skipped: [] },
      {
        now: w.clock.now(),
      },
    );
  };
  return { w, metrics, merge, v2Comment };
}

describe("analyze-then-promote: a canary of the PR's earlier head, replaced by the merged head's", () => {
  it('fails its last look: rolled back, and the merged PR is told v2 failed, naming the gate; v3 analysed', async () => {
    const { w, metrics, merge, v2Comment } = await mergedOnALaterHead();
    metrics.slots.canary.values['error-rate'] = 0.2;
    const merged = await merge();
    expect(merged.releases[0]).toMatchObject({ to: 'v3', status: 'analysing' });
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } });
    const report = renderMarkdown(w.config, merged, { now: w.clock.now() });
    expect(report).toContain(
      'v2 was rolled back to v1: errors: 20.00% is above the max 2.00% on its last look at the merge; superseded by the merged head aaaaaaa, which declares v3',
    );
    const ended = v2Comment();
    expect(ended).toContain('| errors (error-rate) | 20.00%');
    expect(ended).toContain('❌ fail: 20.00% is above the max 2.00%');
  });

  it('a healthy v2 is superseded with what its last look saw, not "not run"', async () => {
    const { w, merge, v2Comment } = await mergedOnALaterHead();
    const merged = await merge();
    expect(merged.releases[0]).toMatchObject({ to: 'v3', status: 'analysing' });
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } });
    const ended = v2Comment();
    expect(ended).toContain('| errors (error-rate) | 0.50% (1,200 req)');
    expect(ended).toContain('superseded by the merged head aaaaaaa, which declares v3');
    expect(ended).not.toContain('not run');
  });
});
