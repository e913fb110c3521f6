import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub, FakePullRequestFile } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A branch protection that requires `model-gate/fraud-detector` looks for it on the PR's head
// only. PR #7 takes fraud-detector from v1 to v2 (head 2, ready: success there), then a push puts
// v1 back (head 3); PR #8 does the same and then deletes the version file (head 5). Each new head
// gets its own passing status saying why, else the PR could never merge. So does a later push that
// leaves the version put back (head 7), a re-run after GitHub refused the first status (PR #10),
// and a head that puts the version back after the analysis failed (PR #11): whenever the PR has a
// recorded release of the model. PR #9 never touches the model: no status (see docs/branch-protection.md). Main step from src/, against the GitHub
// stand-in (which checks every request against GitHub's OpenAPI description) and the sandbox.
const FILE = 'models/fraud.yaml';
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
/**
 * PR #11's config: v3 judged on 200 of its requests. On 40, its 12% of errors can read 5% or less
 * (2 in 40, about one run in ten) and pass; on 200, next to never.
 */
const V3_CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [50], step-duration: 30s, min-requests: 200, interval: 250ms }',
);
const CONTEXT = 'model-gate/fraud-detector';
const touches = (status: FakePullRequestFile['status']): FakePullRequestFile[] => [
  { filename: FILE, status },
];

let github: FakeGitHub;
let sandbox: Sandbox;
let traffic: TrafficGenerator;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 5));
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 200, seed: 9 });
  for (const n of [1, 3, 6, 7, 9, 11]) github.setFile(sha(n), FILE, 'version: v1\n');
  for (const n of [2, 4, 8]) github.setFile(sha(n), FILE, 'version: v2\n');
  // v3 errs on about 12% of requests: its analysis fails.
  github.setFile(sha(10), FILE, 'version: v3\n');
  // Head 5 has no version file; head 6 changes only the README.
  github.setFile(sha(6), 'README.md', 'a typo fixed\n');
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

/** The main step on a push (or the opening) of PR `number` at head `head`. */
function run(
  number: number,
  action: 'opened' | 'synchronize',
  head: number,
  files: FakePullRequestFile[],
  config = CONFIG,
) {
  github.setPullRequest(number, { baseSha: sha(1), headSha: sha(head), files });
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: sha(1), head: sha(head) }, { number }),
    inputs: { ledger: 'github', 'max-wait': '2m' },
    config,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.001' },
  });
}

/** A run that must not fail the step, and its decision. */
async function decision(...args: Parameters<typeof run>) {
  const done = await run(...args);
  expect(done.error).toBeUndefined();
  return done.outputs.decision;
}

const statuses = (head: number) =>
  github
    .commitStatuses(sha(head))
    .map((s) => ({ state: s.state, context: s.context, description: s.description }));

describe('the commit status of a head that no longer changes the model', () => {
  it('the version put back: the new head passes, saying the candidate was withdrawn', async () => {
    expect(await decision(7, 'opened', 2, touches('modified'))).toBe('ready');
    expect(statuses(2).at(-1)).toMatchObject({ state: 'success', context: CONTEXT });
    expect(await decision(7, 'synchronize', 3, [{ filename: 'README.md', status: 'modified' }])).toBe(
      'aborted',
    );
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(statuses(3)).toEqual([
      {
        state: 'success',
        context: CONTEXT,
        description: 'no longer changes fraud-detector: candidate v2 withdrawn',
      },
    ]);
  });

  it('the version file deleted: the new head passes, saying so', async () => {
    expect(await decision(8, 'opened', 4, touches('modified'))).toBe('ready');
    expect(await decision(8, 'synchronize', 5, touches('removed'))).toBe('aborted');
    expect(statuses(5)).toEqual([
      {
        state: 'success',
        context: CONTEXT,
        description: "no longer declares fraud-detector's version: candidate v2 withdrawn",
      },
    ]);
  });

  it('a later push that leaves the version put back (a README fix): passes too, saying v2 was withdrawn earlier', async () => {
    expect(await decision(7, 'synchronize', 7, [{ filename: 'README.md', status: 'modified' }])).toBe(
      'skipped',
    );
    expect(statuses(7)).toEqual([
      {
        state: 'success',
        context: CONTEXT,
        description: 'no longer changes fraud-detector: candidate v2 was withdrawn earlier',
      },
    ]);
  });

  it('GitHub refused the status when v2 was withdrawn: a re-run of the job sets it', async () => {
    expect(await decision(10, 'opened', 8, touches('modified'))).toBe('ready');
    // A token without statuses: write.
    github.failNext('POST', '/repos/{owner}/{repo}/statuses/{sha}', 403);
    const first = await run(10, 'synchronize', 9, touches('modified'));
    expect([first.error, first.outputs.decision]).toEqual([undefined, 'aborted']);
    expect(first.log).toContain('could not set the commit status of fraud-detector: GitHub answered 403');
    expect(statuses(9)).toEqual([]);
    expect(await decision(10, 'synchronize', 9, touches('modified'))).toBe('skipped');
    expect(statuses(9)).toEqual([
      {
        state: 'success',
        context: CONTEXT,
        description: 'no longer changes fraud-detector: candidate v2 was withdrawn earlier',
      },
    ]);
  });

  it('the version put back after the analysis failed: the new head passes, saying v3 failed earlier', async () => {
    const failed = await run(11, 'opened', 10, touches('modified'), V3_CONFIG);
    expect(failed.outputs.decision).toBe('failed');
    expect(failed.error).toMatch(
      /^model-gate: fraud-detector v3 was rolled back to v1 in step 1 of 1 \(50%25 of live traffic\): errors: /,
    );
    expect(statuses(10).at(-1)).toMatchObject({ state: 'failure', context: CONTEXT });
    expect(await decision(11, 'synchronize', 11, touches('modified'), V3_CONFIG)).toBe('skipped');
    expect(statuses(11)).toEqual([
      {
        state: 'success',
        context: CONTEXT,
        description: 'no longer changes fraud-detector: candidate v3 failed its analysis earlier',
      },
    ]);
  });

  it('a PR that never changed the model gets no status for it', async () => {
    expect(await decision(9, 'opened', 6, [{ filename: 'README.md', status: 'modified' }])).toBe('skipped');
    expect(statuses(6)).toEqual([]);
  });

  it('spoke only the documented API', () => {
    expect(github.violations).toEqual([]);
  });
});
