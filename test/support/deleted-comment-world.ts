import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { fraudCanaryConfig, fraudServing, useFraudPrWorld } from './main-step.js';
import { sha } from './model-config.js';
import { pullRequestEvent } from './payloads.js';

// The ledger kept in the PR comment (ledger: github): a user deletes that comment while PR #7's
// candidate v2 is on a 10% canary (deleted-comment-*.test.ts). Main step from src/, against the
// GitHub stand-in and the sandbox with live traffic.
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 2s, min-requests: 10, interval: 250ms }',
);
const ENV = 'model-gate/fraud-detector';

const STATE_URL = 'repos/Codertocat/Hello-World/issues';
const JOB_TOKEN = { authorization: 'token ghs_job_token', 'content-type': 'application/json' };
export const MIN = 60_000;
export const warnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning'));
export const live = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };

/**
 * A PR world whose PR #7 puts v2 on a 10% canary under live traffic, with its helpers: one a file, as
 * the ticks move the runner's clock on (GitHub's and the sandbox's stay real), and a PR step after a
 * tick 30 minutes ahead, the clock back to real, hangs (state the steps of one process share).
 */
export function deletedCommentWorld() {
  const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 4 });
  let traffic: TrafficGenerator;
  beforeAll(() => {
    traffic = startTraffic({ url: world.sandbox.url, model: 'fraud-detector', rps: 300, seed: 8 });
  });
  afterAll(() => traffic?.stop());
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const realNow = Date.now.bind(Date);
  return {
    world,
    /** A schedule tick, `after` ms after the PR was opened on the runner's clock. */
    tick: (after = 0) => {
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() + after);
      return world.step('schedule', { schedule: '*/15 * * * *' }, { mode: 'tick' });
    },
    served: () => fraudServing(world.sandbox),
    claim: () => {
      const [claim, ...more] = world.github.deployments(ENV);
      expect(more).toEqual([]);
      return {
        id: claim?.id,
        state: claim?.statuses.at(-1)?.state,
        says: claim?.statuses.at(-1)?.description,
      };
    },
    /** PR #7 opened: v2 on its canary. Then every comment of the PR deleted; returns their bodies. */
    openThenDelete: async () => {
      const opened = await world.step(
        'pull_request',
        pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
        { mode: 'tick' },
      );
      expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);
      expect(await fraudServing(world.sandbox)).toEqual(live);
      const bodies: string[] = [];
      for (const c of world.github.comments(7)) {
        bodies.push(c.body);
        const r = await fetch(`${world.github.url}/${STATE_URL}/comments/${c.id}`, {
          method: 'DELETE',
          headers: JOB_TOKEN,
        });
        expect(r.status).toBe(204);
      }
      return bodies;
    },
    /** What a job still driving the release does at its next publish: its comment made anew. */
    writeAgain: async (body: string) => {
      const r = await fetch(`${world.github.url}/${STATE_URL}/7/comments`, {
        method: 'POST',
        headers: JOB_TOKEN,
        body: JSON.stringify({ body }),
      });
      expect(r.status).toBe(201);
    },
  };
}

export const missingNote = (id: number | undefined, rest: string) =>
  new RegExp(
    `fraud-detector: the canary claim of PR #7 \\(Deployment ${id}, v1 -> v2\\) is in progress, but the PR's comment records no release of fraud-detector ${rest}`,
  );
export const MARK = /^model-gate: record missing since \d{4}-\d\d-\d\dT/;
