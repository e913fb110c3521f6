import { describe, expect, it } from 'vitest';
import { environmentOf } from '../../src/github/deployments.js';
import { runDecision } from '../../src/report/decision.js';
import { useGitHubDriftWorld } from './drift-world.js';

// v5, put in place by hand, drifts: its drift is kept on a drift Deployment of its own. v6 is then
// promoted. The drift mark ends with v5's serving: left in `failure`, the Deployments page kept
// showing a drift of a version that no longer served, and when v5 came back by hand and drifted
// again the tick took the old mark for its drift ("still drifting since…"): no alert, run green.
const driftWorld = useGitHubDriftWorld();

const tasks = () =>
  driftWorld.github
    .deployments(environmentOf('fraud'))
    .map((d) => `${d.task} ${d.statuses.filter((s) => !s.automatic).map((s) => s.state)}`);

describe('a drift mark of a version that served with no record, once another is promoted', () => {
  it('goes with the promotion, and that version drifting again later alerts again', async () => {
    const w = await driftWorld.promotedV2(false);
    w.serving = 'v5';
    w.drifting = true;
    const first = await w.tick();
    expect(runDecision(first.result)).toBe('failed');
    expect(tasks()).toContain('model-gate:drift failure');

    await w.record({
      kind: 'promotion',
      version: 'v6',
      previous: 'v5',
      pr: 9,
      summary: 'v6 passed every gate',
    });
    expect(tasks()).not.toContain('model-gate:drift failure');

    w.serving = 'v6';
    w.drifting = false;
    expect(runDecision((await w.tick()).result)).not.toBe('failed');

    w.serving = 'v5';
    w.drifting = true;
    const again = await w.tick();
    expect(again.result.drift?.[0]?.note ?? '').not.toMatch(/still drifting since/);
    expect(runDecision(again.result)).toBe('failed');
  });
});
