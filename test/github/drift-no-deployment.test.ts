import { describe, expect, it } from 'vitest';
import { environmentOf } from '../../src/github/deployments.js';
import { runDecision } from '../../src/report/decision.js';
import { useGitHubDriftWorld } from './drift-world.js';

// v2 serves with no Deployment of its own (put in place before model-gate recorded promotions, or
// its Deployment deleted): its drift had nowhere to be kept, so every 15-minute tick alerted again,
// failing its run. Now the drift's start is kept on a drift Deployment of its own.
const driftWorld = useGitHubDriftWorld();

async function tickOf(w: Awaited<ReturnType<typeof driftWorld.promotedV2>>) {
  const { result, requests } = await w.tick();
  return { note: result.drift?.[0]?.note ?? '', failed: runDecision(result) === 'failed', requests };
}

/** The model's Deployments other than canary claims, with their statuses' states. */
const marks = () =>
  driftWorld.github
    .deployments(environmentOf('fraud'))
    .map((d) => ({ task: d.task, states: d.statuses.filter((s) => !s.automatic).map((s) => s.state) }));

describe('a drift of a version with no Deployment', () => {
  it('fails only the run it begins in; later ticks say since when', async () => {
    const w = await driftWorld.promotedV2(true, { recorded: false });
    const ticks = [];
    for (let i = 0; i < 4; i++) ticks.push(await tickOf(w));

    expect(ticks.map((t) => t.failed)).toEqual([true, false, false, false]);
    for (const t of ticks.slice(1))
      expect(t.note).toMatch(/; still drifting since .+ UTC \(first alerted by .+\/runs\/1\)/);
    expect(marks()).toEqual([{ task: 'model-gate:drift', states: ['failure'] }]);
  });

  it('ends with "drift over", a drift that comes back alerts again, and a quiet tick costs 3 requests', async () => {
    const w = await driftWorld.promotedV2(true, { recorded: false });
    const first = await tickOf(w);
    w.drifting = false;
    const over = await tickOf(w);
    const quiet = await tickOf(w);
    w.drifting = true;
    const again = await tickOf(w);

    expect([first, over, quiet, again].map((t) => t.failed)).toEqual([true, false, false, true]);
    expect(over.note).toMatch(
      /; drift over: the predictions match the reference from before it again \(drifting since .+ UTC, first alerted by .+\/runs\/1\)$/,
    );
    expect(quiet.note).not.toMatch(/drift over/);
    expect(quiet.requests).toHaveLength(3);
  });
});
