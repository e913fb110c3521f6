import { describe, expect, it } from 'vitest';
import { environmentOf } from '../../src/github/deployments.js';
import { runDecision } from '../../src/report/decision.js';
import { useGitHubDriftWorld } from './drift-world.js';

// v3 promoted while v2's drift alert was open: v2's Deployment kept its `failure` status, so the
// Deployments page showed v2 failing though it no longer served. The promotion now marks it
// inactive, as GitHub does for a superseded Deployment, and v3's watch starts clean.
const driftWorld = useGitHubDriftWorld();

const serves = () =>
  driftWorld.github
    .deployments(environmentOf('fraud'))
    .filter((d) => d.task === 'deploy')
    .map((d) => ({
      version: (d.payload as { version: string }).version,
      states: d.statuses.filter((s) => !s.automatic).map((s) => s.state),
    }));

describe('a promotion while the version it replaces is drifting', () => {
  it("marks the replaced version's Deployment inactive; the new version's watch starts clean", async () => {
    const w = await driftWorld.promotedV2(true);
    expect(runDecision((await w.tick()).result)).toBe('failed');
    await w.record({
      kind: 'promotion',
      version: 'v3',
      previous: 'v2',
      pr: 8,
      summary: 'v3 passed every gate',
    });
    w.serving = 'v3';
    w.drifting = false;
    const { result } = await w.tick();

    expect(serves()).toEqual([
      { version: 'v2', states: ['success', 'failure', 'inactive'] },
      { version: 'v3', states: ['success'] },
    ]);
    expect(runDecision(result)).not.toBe('failed');
    expect(result.drift?.[0]?.note).not.toMatch(/drifting since|drift over/);
  });
});
