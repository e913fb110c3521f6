import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { fraudCanaryConfig, fraudServing, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The ledger kept in the PR comment (ledger: github): a user deletes that comment while PR #7's
// candidate v2 is on a 10% canary. Its canary claim (a Deployment in progress) still names PR #7
// and v2; the schedule ticks that follow must not call the model idle while v2 serves unwatched.
// Main step from src/, against the GitHub stand-in and the sandbox with live traffic.
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 2s, min-requests: 10, interval: 250ms }',
);
const ENV = 'model-gate/fraud-detector';

const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 4 });
let traffic: TrafficGenerator;
beforeAll(() => {
  traffic = startTraffic({ url: world.sandbox.url, model: 'fraud-detector', rps: 300, seed: 8 });
});
afterAll(() => traffic?.stop());

afterEach(() => {
  vi.restoreAllMocks();
});

const tick = () => world.step('schedule', { schedule: '*/15 * * * *' }, { mode: 'tick' });
const served = () => fraudServing(world.sandbox);
const warnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning'));
const claimStates = () => world.github.deployments(ENV).map((d) => d.statuses.at(-1)?.state);

describe('the PR comment deleted while its candidate is on a canary', () => {
  it('warns at once naming the claim and the PR, and withdraws the candidate and records its end once the record is taken for lost', async () => {
    const opened = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      { mode: 'tick' },
    );
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);
    const live = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
    expect(await served()).toEqual(live);
    const [claim] = world.github.deployments(ENV);
    for (const c of world.github.comments(7)) {
      const r = await fetch(`${world.github.url}/repos/Codertocat/Hello-World/issues/comments/${c.id}`, {
        method: 'DELETE',
        headers: { authorization: 'token ghs_job_token' },
      });
      expect(r.status).toBe(204);
    }

    // The next tick: its job may still be writing the record, so nothing is withdrawn yet, but the
    // log says what holds the slot, and the slot stays held.
    const soon = await tick();
    expect(soon.error).toBeUndefined();
    expect(warnings(soon.log)).toEqual([
      expect.stringMatching(
        new RegExp(
          `fraud-detector: the canary claim of PR #7 \\(Deployment ${claim?.id}, v1 -> v2\\) is in progress, but the PR's comment records no release of fraud-detector .*v2 may get live traffic that nothing watches; the slot stays held, and a schedule tick withdraws it in 30 min`,
        ),
      ),
    ]);
    expect(await served()).toEqual(live);
    expect(claimStates()).toEqual(['in_progress']);

    // Half an hour after the claim: the record is lost. The tick withdraws v2 and says so in PR #7's
    // comment, made again, and the claim ends.
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 31 * 60_000);
    const later = await tick();
    expect(later.error).toBeUndefined();
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    expect(warnings(later.log)).toEqual([
      expect.stringMatching(
        /fraud-detector: the canary claim of PR #7 .* v2 may still get live traffic that nothing watches, so the release is rebuilt from the claim and ended: a schedule tick withdraws v2/,
      ),
    ]);
    expect(later.log).not.toMatch(/Nothing to release/);
    expect(JSON.parse(later.outputs.models ?? '[]')).toEqual([
      expect.objectContaining({ model: 'fraud-detector', to: 'v2', status: 'aborted' }),
    ]);
    const [comment, ...more] = world.github.comments(7);
    expect(more).toEqual([]);
    expect(comment?.body).toMatch(
      /fraud-detector v2 was withdrawn: the PR comment lost its record \(deleted, or edited by hand\) while its canary claim \(Deployment \d+\) was in progress: nothing watched v2 since.*; v1 serves/,
    );
    expect(claimStates()).toEqual(['inactive']);

    // The slot is free again, and the next tick has nothing to say of it.
    const after = await tick();
    expect(warnings(after.log)).toEqual([]);
    expect(await served()).toEqual({ stable: { version: 'v1' } });
  }, 120_000);
});
