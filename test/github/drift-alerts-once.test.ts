import { describe, expect, it } from 'vitest';
import { environmentOf } from '../../src/github/deployments.js';
import { runDecision } from '../../src/report/decision.js';
import { runUrl, useGitHubDriftWorld } from './drift-world.js';

// After a latency shift on stable v2, every 15-minute tick found it drifted and added a `failure`
// status to v2's promotion Deployment, a note to PR #7 and a failed run, until the 24 h reference
// absorbed it. Now the drift's start alerts, its end says "drift over", nothing in between.
const driftWorld = useGitHubDriftWorld();

/** Stable v2 promoted by PR #7, then schedule runs, 15 minutes apart, its drift in each one's words. */
async function world() {
  const promoted = await driftWorld.promotedV2(true);
  return {
    set drifting(on: boolean) {
      promoted.drifting = on;
    },
    async tick() {
      const { result } = await promoted.tick();
      return {
        note: result.drift?.[0]?.note ?? '',
        notify: result.notify,
        failed: runDecision(result) === 'failed',
      };
    },
  };
}

/** v2's promotion Deployment's statuses, oldest first: state, description, run. */
const statuses = () =>
  driftWorld.github
    .deployments(environmentOf('fraud'))
    .filter((d) => d.task === 'deploy')
    .flatMap((d) => d.statuses.filter((s) => !s.automatic))
    .map((s) => ({ state: s.state, description: s.description, run: s.logUrl }));

describe('a persisting drift on GitHub', () => {
  it('marks the Deployment failing once, notes PR #7 once and fails only the first run', async () => {
    const w = await world();
    const ticks = [];
    for (let i = 0; i < 6; i++) ticks.push(await w.tick());
    const began = ticks[0]?.note ?? '';

    expect(ticks.map((t) => t.failed)).toEqual([true, false, false, false, false, false]);
    expect(ticks.flatMap((t) => t.notify)).toEqual([{ pr: 7, model: 'fraud', why: began }]);
    expect(statuses()).toEqual([
      { state: 'success', description: 'v2 passed every gate', run: runUrl(0) },
      { state: 'failure', description: began.replace(/; to roll back: .*$/, ''), run: runUrl(1) },
    ]);
    for (const t of ticks.slice(1))
      expect(t.note).toMatch(
        /; still drifting since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(first alerted by https:\/\/github\.com\/Codertocat\/Hello-World\/actions\/runs\/1\): no new alert until the drift ends$/,
      );
  });

  it('ends with one "drift over" status, and a drift that comes back alerts again', async () => {
    const w = await world();
    const first = await w.tick();
    await w.tick();
    w.drifting = false;
    const over = await w.tick();
    const quiet = await w.tick();
    w.drifting = true;
    const again = await w.tick();
    await w.tick();

    expect(over.note).toMatch(
      /; drift over: the predictions match the reference from before it again \(drifting since .+ UTC, first alerted by .+\/runs\/1\)$/,
    );
    expect(quiet.note).not.toMatch(/drift over/);
    expect(statuses().map((s) => `${s.state} ${s.run}`)).toEqual([
      `success ${runUrl(0)}`,
      `failure ${runUrl(1)}`,
      `success ${runUrl(3)}`,
      `failure ${runUrl(5)}`,
    ]);
    expect(statuses()[2]?.description).toMatch(/^drift over: fraud v2: no drift/);
    expect([first, again].flatMap((t) => t.notify)).toEqual([
      { pr: 7, model: 'fraud', why: first.note },
      { pr: 7, model: 'fraud', why: again.note },
    ]);
  });
});
