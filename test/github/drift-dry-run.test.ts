import { describe, expect, it } from 'vitest';
import { environmentOf } from '../../src/github/deployments.js';
import { reportTitle, runDecision } from '../../src/report/decision.js';
import { useGitHubDriftWorld } from './drift-world.js';

// A dry run of a schedule tick reported a drift an earlier tick had alerted as a fresh failure:
// "❌ Drift detected", the run failed, although the tick it stands for would only say "still
// drifting". It now reads the record, and writes nothing.
const driftWorld = useGitHubDriftWorld();

const statuses = () =>
  driftWorld.github
    .deployments(environmentOf('fraud'))
    .flatMap((d) => d.statuses.filter((s) => !s.automatic).map((s) => s.state));

describe('a dry-run tick of a drift alerted before', () => {
  it('says it is still drifting, does not fail, and records nothing', async () => {
    const w = await driftWorld.promotedV2(true);
    await w.tick();
    const { result, requests } = await w.tick({ dryRun: true });

    expect(runDecision(result)).not.toBe('failed');
    expect(reportTitle(result)).toBe('⚠️ Still drifting (alerted before)');
    expect(result.drift?.[0]?.note).toMatch(/; still drifting since .+ UTC \(first alerted by .+\/runs\/1\)/);
    expect(result.notify).toEqual([]);
    expect(requests.filter((r) => r.startsWith('POST'))).toEqual([]);
    expect(statuses()).toEqual(['success', 'failure']);
  });

  it('of a drift that begins, fails as the tick would, but marks nothing and tells no PR', async () => {
    const w = await driftWorld.promotedV2(true);
    const { result, requests } = await w.tick({ dryRun: true });

    expect(runDecision(result)).toBe('failed');
    expect(result.drift?.[0]?.note).toMatch(/dry run: not recorded, no PR told/);
    expect(result.notify).toEqual([]);
    expect(requests.filter((r) => r.startsWith('POST'))).toEqual([]);
    expect(statuses()).toEqual(['success']);
  });
});
