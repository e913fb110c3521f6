import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { outputDecision } from '../../src/report/decision.js';
import { sha } from '../support/model-config.js';
import { raceJobs, useRaceWorld } from '../support/race-world.js';

// A canary still analysing when its PR is merged (on-merge: require-pass) gets one last look at its
// gates before it is withdrawn. When a gate failed on that look, the release used to end `aborted`:
// the comment said "withdrawn", `decision` was `aborted`, the commit status an error, the record
// aborted, as if nothing had been wrong with the merged version. It failed a gate: every place the
// user looks now says so, naming the gate, with v1 alone serving. The platform is a real sandbox,
// GitHub a stand-in holding the comment (the ledger) and the commit statuses, time a fake clock.

const world = useRaceWorld({ firstPr: 640, firstRunId: 6400, closePr: (closed) => prJob(closed, 'tick') });
const { serving, comment, recorded, pullRequest } = world;
let config: Config;
const { prJob } = raceJobs(world, () => config, true);
beforeAll(() => {
  config = world.configWith('[10, 50]', { stepDuration: '5m' });
});

/** The PR's canary of v2, healthy, past step 1 and analysing step 2 (50%); then merged, v2 at `errors`. */
async function mergedMidStep(errors: number) {
  const event = pullRequest('v2', 2);
  await prJob(event, 'tick');
  world.clock.advance(30_000);
  const looked = await prJob(event, 'tick');
  expect(looked.releases[0]).toMatchObject({ status: 'analysing', phase: 1 });
  world.clock.advance(30_000);
  return prJob({ ...event, action: 'closed', merged: true }, 'tick', { candidateErrors: errors });
}

describe('a canary merged mid-step whose last look fails a gate', () => {
  it('ends failed, the gate named in the comment, the output, the commit status and the record; v1 serves', async () => {
    const merged = await mergedMidStep(0.2);
    expect(merged.releases[0]).toMatchObject({ to: 'v2', status: 'failed' });
    expect(outputDecision(merged)).toBe('failed');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(await recorded()).toMatchObject({ status: 'failed' });
    expect((await recorded())?.withdrawPending).toBeUndefined();
    const status = world.github.commitStatuses(sha(2)).at(-1);
    expect(status?.state).toBe('failure');
    expect(status?.description).toMatch(
      /^v2 rolled back to v1: errors failed \(20\.00% is above the max 2\.00% on its last look at the merge/,
    );
    const body = comment() ?? '';
    expect(body).toContain('## model-gate: ❌ Rolled back');
    expect(body).toContain('❌ fail: 20.00% is above the max 2.00%');
    expect(body).toContain(
      'v2 was rolled back to v1 in step 2 of 2 (50% of live traffic): errors: 20.00% is above the max 2.00% on its last look at the merge',
    );
    expect(body).toContain('v2 was not promoted (on-merge: require-pass)');
    expect(body).not.toMatch(/withdrawn|aborted/i);
  });

  it('a healthy last look still ends it withdrawn (aborted), not failed', async () => {
    const merged = await mergedMidStep(0.005);
    expect(merged.releases[0]).toMatchObject({ to: 'v2', status: 'aborted' });
    expect(outputDecision(merged)).toBe('aborted');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(world.github.commitStatuses(sha(2)).at(-1)?.state).toBe('error');
  });
});
