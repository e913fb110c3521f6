import { describe, expect, it } from 'vitest';
import { environmentOf } from '../../src/github/deployments.js';
import { runDecision } from '../../src/report/decision.js';
import { runUrl, useGitHubDriftWorld } from './drift-world.js';

// A shift held for 30 hours marked v2's Deployment failing, then about 25 hours later put it back
// to `success`, "drift over": the 24 h reference had filled with the shifted predictions. While a
// drift is on record the watch judges against the reference from before it, so the Deployment stays
// failing until the predictions come back.
const HOUR = 3_600_000;
const driftWorld = useGitHubDriftWorld();

/** v2's promotion Deployment's statuses, oldest first, as `state run`. */
const statuses = () =>
  driftWorld.github
    .deployments(environmentOf('fraud'))
    .filter((d) => d.task === 'deploy')
    .flatMap((d) => d.statuses.filter((s) => !s.automatic))
    .map((s) => `${s.state} ${s.logUrl}`);

describe('a shift held longer than the reference, on GitHub', () => {
  it('keeps the Deployment failing until the predictions come back', async () => {
    const w = await driftWorld.promotedV2(false);
    const shiftAt = w.clock.now();
    let backAt = Number.POSITIVE_INFINITY;
    w.shifted = (m) => m.since >= shiftAt && m.since < backAt;
    const failed = [];
    // Hourly: each tick adds its 15 minutes.
    for (let h = 1; h <= 30; h++) {
      w.clock.advance(HOUR - 15 * 60_000);
      failed.push(runDecision((await w.tick()).result) === 'failed');
    }

    expect(failed).toEqual(failed.map((_, i) => i === 0));
    expect(statuses()).toEqual([`success ${runUrl(0)}`, `failure ${runUrl(1)}`]);

    backAt = w.clock.now();
    w.clock.advance(HOUR - 15 * 60_000);
    const { result } = await w.tick();
    expect(result.drift?.[0]?.note).toMatch(
      /; drift over: the predictions match the reference from before it again/,
    );
    expect(statuses()).toEqual([`success ${runUrl(0)}`, `failure ${runUrl(1)}`, `success ${runUrl(31)}`]);
  });
});
