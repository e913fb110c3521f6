import { describe, expect, it } from 'vitest';
import { PROMOTION_GRACE_MS } from '../../src/release/merged-ready.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { recordWorld } from './tick-record-world.js';

// on-merge: analyze-then-promote, an analysis that outlasts the merge job: the tick that passes the
// candidate promotes it. When the platform refused that promotion, the release stayed ready, no
// later tick tried again (ticks drive analysing releases only), and the merged PR's comment kept
// saying "✅ Ready to merge" while the canary slot stayed held. Ticks now try again, once each, and
// the comment says the merged PR's promotion is pending, and why.

const tick = { mode: 'tick' as const, maxWaitMs: 0 };
const once = { ...tick, dryRun: false };

async function mergedMidAnalysis() {
  const w = await recordWorld(
    '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
    ['{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }'],
    new FakeCounts({
      stable: { rps: 90, errorRate: 0.01, medianMs: 40 },
      canary: { rps: 20, errorRate: 0.01, medianMs: 40 },
    }),
    '{ type: sandbox, url: "http://127.0.0.1:1" }\n    on-merge: analyze-then-promote',
  );
  await handlePullRequest(w.config, w.event(), w.ports, once);
  await handlePullRequest(w.config, w.event('closed', true), w.ports, once);
  expect(await w.ledger.release('fraud')).toMatchObject({
    status: 'analysing',
    mergedAt: expect.any(Number),
  });
  return w;
}

const report = (w: Awaited<ReturnType<typeof mergedMidAnalysis>>, release: Release | undefined) =>
  renderMarkdown(w.config, { releases: [release as Release], skipped: [] }, { now: w.clock.now() });

describe('a merged PR whose promotion the platform refused at the tick', () => {
  it('says the promotion is pending and why; a later tick, once the run that made it ready had its time, promotes v2', async () => {
    const w = await mergedMidAnalysis();
    // Every promotion (v2 alone) is refused until the platform answers again.
    let promotions = 0;
    let refusing = true;
    w.target.fault = (d) => {
      if (d.canary || d.stable.version !== 'v2') return undefined;
      promotions++;
      return refusing ? 'throw' : undefined;
    };
    for (let i = 0; i < 10 && (await w.ledger.release('fraud'))?.status === 'analysing'; i++) {
      w.clock.advance(60_000);
      await handleSchedule(w.config, w.ports, tick);
    }
    expect(promotions).toBe(1);
    const pending = await w.ledger.release('fraud');
    expect(pending).toMatchObject({ status: 'ready', mergedAt: expect.any(Number) });
    const why =
      'v2 passed its analysis after the merge, but promoting it failed: platform refused the change (500); the next schedule tick tries again (or re-run the merge job of PR #7, or use the promote command)';
    expect(pending?.reason).toBe(why);
    const text = report(w, pending);
    expect(text).toContain('## model-gate: ⏳ Merged: promotion pending');
    expect(text).toContain(`- fraud v2: merged; promotion pending: ${why}`);
    expect(text).not.toContain('Ready to merge');

    // Still refusing: each tick tries once.
    w.clock.advance(PROMOTION_GRACE_MS);
    await handleSchedule(w.config, w.ports, tick);
    expect(promotions).toBe(2);

    refusing = false;
    // Within the grace after the last try, a tick leaves it to the run that may be promoting it.
    w.clock.advance(PROMOTION_GRACE_MS / 2);
    await handleSchedule(w.config, w.ports, tick);
    expect(promotions).toBe(2);
    w.clock.advance(PROMOTION_GRACE_MS / 2);
    const promoted = await handleSchedule(w.config, w.ports, tick);
    expect(promotions).toBe(3);
    expect(promoted.releases[0]).toMatchObject({ status: 'promoted' });
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'promoted' });
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    expect((await w.ledger.history('fraud')).map((e) => [e.kind, e.version])).toEqual([['promotion', 'v2']]);
    // The slot is free: nothing holds it.
    expect(await w.ledger.canaryHolder('fraud')).toBeUndefined();
  });
});
