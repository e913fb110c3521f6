import { beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { fraudPromotedOnRecord, fraudServing } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';
import { fraudBehindPassThrough } from '../support/platform-pass-through.js';
import { useRefusingPlatform } from '../support/refusing-platform-world.js';

// `command: rollback` whose one traffic change the platform refuses outright: nothing changed. With
// nothing in flight the step failed with the platform's words alone ("sandbox … refused: platform
// unavailable"), naming no rollback nor what serves; with a candidate in flight the PR's comment
// said it was withdrawn "because rolled back to v3", which it was not. Main step from src/, the
// sandbox behind a pass-through refusing withdrawals, the ledger on the GitHub stand-in.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const ENV = `model-gate/${MODEL}`;

let refuse = false;
const world = useRefusingPlatform({
  config: fraudBehindPassThrough(
    FILE,
    '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
  ),
  refusal: 'platform unavailable',
  refusing: () => refuse,
  githubWaitScale: '0.05',
});

beforeAll(() => {
  world.github.setFile(sha(1), FILE, 'version: v1\n');
  world.github.setFile(sha(2), FILE, 'version: v2\n');
});

const serving = () => fraudServing(world.sandbox);
/** Puts `version` alone in service by hand, past the pass-through. */
const serveByHand = (version: string) =>
  requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, {
    stable: { version },
  });
const comment = (pr: number) =>
  world.github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
const dispatch = (inputs: Record<string, string>) => {
  const all = { command: 'rollback', model: MODEL, ...inputs };
  return world.step('workflow_dispatch', workflowDispatchEvent(all), all);
};

describe('a rollback by workflow_dispatch the platform refuses outright', () => {
  it('with a candidate in flight: the comment says the rollback did not take, not that it rolled back', async () => {
    const pr = 61;
    const shas = { base: sha(1), head: sha(2) };
    world.github.setPullRequest(pr, {
      baseSha: shas.base,
      headSha: shas.head,
      files: [{ filename: FILE, status: 'modified' }],
    });
    const prJob = (action: 'opened' | 'closed') =>
      world.step('pull_request', pullRequestEvent(action, shas, { number: pr }), { mode: 'tick' });
    expect((await prJob('opened')).outputs.decision).toBe('analysing');
    const live = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
    expect(await serving()).toEqual(live);

    refuse = true;
    try {
      const run = await dispatch({ 'to-version': 'v3' });
      expect(run.exitCode).toBe(1);
      expect(await serving()).toEqual(live);
      expect(comment(pr)).toContain(
        `${MODEL} v2 could not be withdrawn: sandbox ${MODEL} at ${world.platform.url} answered the traffic change with HTTP 503: platform unavailable; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${world.platform.url}/healthz answers once it is up) (the rollback to v3 by @\u200boctocat via workflow\\_dispatch that was to withdraw it did not take either); v2 may still get live traffic`,
      );
      expect(comment(pr)).not.toContain('because rolled back to v3');
    } finally {
      // The platform answers again: closing the PR takes v2 out, for the next test.
      refuse = false;
      await prJob('closed');
    }
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('nothing in flight: the step says v2 still serves and nothing is recorded; run again, it rolls back', async () => {
    // v2 serves, promoted from v1 by PR #5.
    await serveByHand('v2');
    world.github.setPullRequest(5, { baseSha: sha(1), headSha: sha(2), files: [] });
    await fraudPromotedOnRecord(world.github, 5);
    const deployments = world.github.deployments(ENV).length;

    refuse = true;
    const refused = await dispatch({});
    expect(refused.exitCode).toBe(1);
    expect(refused.outputs.decision).toBe('error');
    expect(refused.error).toBe(
      `rollback ${MODEL}: v2 still serves, the platform did not take the rollback to v1 (sandbox ${MODEL} at ${world.platform.url} answered the traffic change with HTTP 503: platform unavailable; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${world.platform.url}/healthz answers once it is up)); nothing is recorded: run the rollback again once the platform answers`,
    );
    expect(await serving()).toEqual({ stable: { version: 'v2' } });
    expect(world.github.deployments(ENV)).toHaveLength(deployments);
    expect(comment(5)).toBe('');

    // What the message says to do, done: the rollback takes and PR #5 hears of it.
    refuse = false;
    const again = await dispatch({});
    expect([again.error, again.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(comment(5)).toContain('## model-gate: ↩️ Rolled back by command');
  });
});
