import { afterEach, describe, expect, it, vi } from 'vitest';
import { environmentOf } from '../../src/github/deployments.js';
import { runDecision } from '../../src/report/decision.js';
import { runUrl, useGitHubDriftWorld } from '../github/drift-world.js';

// On GitHub too, the tick after "drift over" marked v2's Deployment failing again: the sliding
// reference held the shifted predictions. The "drift over" status says when the drift ended, so
// the watch keeps the reference from before the drift until the sliding one has passed the end.
const HOUR = 3_600_000;
const driftWorld = useGitHubDriftWorld();
afterEach(() => {
  vi.useRealTimers();
});

/** v2's promotion Deployment's statuses, oldest first, as `state run`. */
const statuses = () =>
  driftWorld.github
    .deployments(environmentOf('fraud'))
    .filter((d) => d.task === 'deploy')
    .flatMap((d) => d.statuses.filter((s) => !s.automatic))
    .map((s) => `${s.state} ${s.logUrl}`);

describe('after a drift ends, on GitHub', () => {
  it('leaves the Deployment at success while the predictions stay back', async () => {
    const w = await driftWorld.promotedV2(false);
    // GitHub stamps the statuses, the stand-in with the system time: the ticks' time, as on GitHub.
    vi.useFakeTimers({ toFake: ['Date'] });
    const shiftAt = w.clock.now();
    let backAt = Number.POSITIVE_INFINITY;
    w.shifted = (m) => m.since >= shiftAt && m.since < backAt;
    // Hourly: each tick adds its 15 minutes.
    const hourly = async () => {
      w.clock.advance(HOUR - 15 * 60_000);
      vi.setSystemTime(w.clock.now() + 15 * 60_000);
      const { result } = await w.tick();
      return { failed: runDecision(result) === 'failed', note: result.drift?.[0]?.note ?? '' };
    };
    for (let h = 1; h <= 30; h++) await hourly();
    backAt = w.clock.now();
    expect((await hourly()).note).toMatch(/; drift over: /);

    const after = [];
    for (let h = 1; h <= 30; h++) after.push(await hourly());
    expect(after.filter((t) => t.failed).map((t) => t.note)).toEqual([]);
    expect(after[0]?.note).toMatch(/against the 1d before the drift found at .+, over at /);
    expect(statuses()).toEqual([`success ${runUrl(0)}`, `failure ${runUrl(1)}`, `success ${runUrl(31)}`]);
  });
});
