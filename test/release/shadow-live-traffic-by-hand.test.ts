import { describe, expect, it } from 'vitest';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { MIRROR_ONLY, shadowing, tickMode } from './shadow-world.js';

// A shadow gives the candidate a mirror of requests and no live traffic. Someone gave v2 half the
// live traffic by hand mid-shadow: the next tick went on "analysing shadow 30% of requests",
// judging mirrored copies while v2 answered half the callers; failing later, the comment said it
// "never served callers". It now takes v2 back to its mirror first, and the history shows the
// live traffic found.

const HALF_LIVE = { ...MIRROR_ONLY, canary: { version: 'v2', weight: 50 } };
const FOUND =
  'v2 had 50% of live traffic, which the record did not show (a run lost after its traffic change, or a change by hand): taken back to a mirror of 30% of requests and no live traffic before shadow 30% of requests runs again';

/** PR #7's shadow one tick in, then v2 given half the live traffic beside its mirror by hand. */
async function givenLiveTrafficByHand() {
  const { w, metrics } = await shadowing();
  w.target.state = structuredClone(HALF_LIVE);
  w.clock.advance(5 * 60_000);
  return { w, metrics };
}

const tick = async (w: Awaited<ReturnType<typeof givenLiveTrafficByHand>>['w']) =>
  handleSchedule(w.config, w.ports, tickMode);

const history = async (w: Awaited<ReturnType<typeof givenLiveTrafficByHand>>['w']) =>
  (await w.ledger.release('fraud'))?.phases.map((p) => [p.name, p.weight, p.outcome ?? 'running']);

describe('a shadow whose candidate was given live traffic by hand', () => {
  it('the next tick takes the live traffic back to the mirror and runs the shadow again', async () => {
    const { w } = await givenLiveTrafficByHand();
    const result = await tick(w);
    expect(w.target.state).toEqual(MIRROR_ONLY);
    const release = await w.ledger.release('fraud');
    expect(release?.status).toBe('analysing');
    // Its hour counts again from this tick: the looks before it were taken beside live traffic.
    expect(release?.reason).toBe(
      'analysing shadow 30% of requests: waiting for errors; holds until 2026-01-01 01:10 UTC (1h)',
    );
    expect(await history(w)).toEqual([
      ['shadow 30% of requests', 0, 'withdrawn'],
      ['shadow 30% of requests', 50, 'withdrawn'],
      ['shadow 30% of requests', 0, 'running'],
    ]);
    expect(renderMarkdown(w.config, result, { now: w.clock.now() })).toContain(FOUND);
  });

  it('failing afterwards, the comment says v2 was rolled back, not that it never served callers', async () => {
    const { w, metrics } = await givenLiveTrafficByHand();
    await tick(w);
    metrics.slots.canary.values['error-rate'] = 0.2;
    w.clock.advance(5 * 60_000);
    const failed = await tick(w);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect((await w.ledger.release('fraud'))?.status).toBe('failed');
    const report = renderMarkdown(w.config, failed, { now: w.clock.now() });
    expect(report).not.toContain('never served callers');
    expect(report).toContain(
      '- fraud v2 was rolled back to v1 in shadow 30% of requests: errors: 20.00% is above the max 2.00%',
    );
    expect(report).toContain(
      `| shadow 30% of requests | 50% | 2026-01-01 00:10:00 | 0s | withdrawn: ${FOUND} |`,
    );
  });
});
