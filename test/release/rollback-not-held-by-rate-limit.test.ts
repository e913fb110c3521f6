import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudPromotedByPr, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';
import { fraudBehindPassThrough, platformPassThrough } from '../support/platform-pass-through.js';

// A workflow_dispatch rollback while PR #21's job analyses v3 at 10%: the rollback records the end
// before its traffic change (the PR's comment and the head's commit status), then takes v3 out.
// GitHub's secondary rate limit (retry-after: 60) on those two writes, or on the comment's read just
// before its write, used to be waited out, three times each, before the change: minutes with the bad
// candidate live. Now they are tried once, the change made at once, and both are written after it.
// The main steps run from src/ in this process on the GitHub stand-in, their waits scaled down
// (60 s is 3 s); the platform a real sandbox behind a pass-through that notes how many GitHub
// requests came before each change.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const CONFIG = fraudBehindPassThrough(FILE, '{ type: canary, steps: [10, 50] }');
/** The PR's comment: read again (GET) just before it is written (PATCH). */
const COMMENT = /\/issues\/comments\/\d+$/;
const HEAD_STATUS = new RegExp(`/statuses/${sha(211)}$`);

let sandbox: Sandbox;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
/** Per traffic change (PUT): how many GitHub requests had come before it. */
let changes: number[] = [];

beforeEach(async () => {
  ({ sandbox, github } = await startFraudWorld('v2'));
  changes = [];
  platform = await platformPassThrough(sandbox.url, (request, forward) => {
    if (request.method === 'PUT') changes.push(github.requests.length);
    return forward();
  });
  // PR #8 promoted v1 -> v2; PR #21 moves models/fraud.yaml from v2 to v3.
  await fraudPromotedByPr(github, 8);
  github.setFile(sha(210), FILE, 'version: v2\n');
  github.setFile(sha(211), FILE, 'version: v3\n');
  github.setPullRequest(21, {
    baseSha: sha(210),
    headSha: sha(211),
    files: [{ filename: FILE, status: 'modified' }],
  });
});

afterEach(async () => {
  expect(github?.violations).toEqual([]);
  await platform?.close();
  await sandbox?.close();
  await github?.close();
});

const env = (runId: number) => ({
  SANDBOX_URL: sandbox.url,
  PLATFORM_URL: platform.url,
  GITHUB_SHA: sha(9),
  GITHUB_RUN_ID: String(runId),
  MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
});

/** PR #21's job, one pass (tick mode): v3 gets its first step's share of live traffic. */
async function prJobPutsV3On10Percent() {
  const event = pullRequestEvent('opened', { base: sha(210), head: sha(211) }, { number: 21 });
  const run = await runMainStep({
    eventName: 'pull_request',
    event,
    inputs: { ledger: 'github', mode: 'tick' },
    config: CONFIG,
    githubUrl: github.url,
    env: env(50),
  });
  expect([run.error, run.outputs.decision]).toEqual([undefined, 'analysing']);
  expect(await fraudServing(sandbox)).toMatchObject({ canary: { version: 'v3', weight: 10 } });
  changes = [];
}

const rollback = () =>
  runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent({ command: 'rollback', model: MODEL }),
    inputs: { ledger: 'github', command: 'rollback', model: MODEL },
    config: CONFIG,
    githubUrl: github.url,
    env: env(60),
  });

/** `method` requests matching `path` among the stand-in's requests `from` to `to`, as `status` each. */
const answers = (method: string, path: RegExp, from: number, to?: number) =>
  github.requests
    .slice(from, to)
    .filter((r) => r.method === method && path.test(r.path))
    .map((r) => r.status);

describe('a dispatch rollback while a PR job analyses, GitHub rate limiting its first record', () => {
  it('takes the candidate out before any rate limit is waited out, and writes the comment and status after', async () => {
    await prJobPutsV3On10Percent();
    const start = github.requests.length;
    // The next comment write and the next status on PR #21's head: GitHub's secondary rate limit.
    github.failNext('PATCH', COMMENT, 403, 1, { 'retry-after': '60' });
    github.failNext('POST', HEAD_STATUS, 403, 1, { 'retry-after': '60' });

    const run = await rollback();
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });

    // One traffic change, each refused write tried once before it: none waited out and sent again
    // (the old code sent each again after its wait, three 60 s waits allowed each, then changed).
    expect(changes).toHaveLength(1);
    const change = changes[0] ?? 0;
    expect(answers('POST', HEAD_STATUS, start, change)).toEqual([403]);
    expect(answers('PATCH', COMMENT, start, change)).toEqual([403]);

    // After the change, the status and the comment are written, and tell the rollback.
    expect(answers('POST', HEAD_STATUS, change)).toContain(201);
    expect(answers('PATCH', COMMENT, change)).toContain(200);
    expect(github.commitStatuses(sha(211)).at(-1)?.state).toBe('error');
    const comment = github.comments(21).find((c) => c.body.startsWith('<!-- model-gate report -->'));
    expect(comment?.body).toContain('rolled back to v1');
  });

  it("takes the candidate out before a rate limit on the comment's read, just before its write, is waited out", async () => {
    await prJobPutsV3On10Percent();
    const start = github.requests.length;
    // The comment's next read: GitHub's secondary rate limit.
    github.failNext('GET', COMMENT, 403, 1, { 'retry-after': '60' });

    const run = await rollback();
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });

    // The read refused once, and so the write not made, before the change: the old code waited the
    // read's 60 s out (up to three times), then wrote the comment, then changed the traffic.
    expect(changes).toHaveLength(1);
    const change = changes[0] ?? 0;
    expect(answers('GET', COMMENT, start, change)).toEqual([403]);
    expect(answers('PATCH', COMMENT, start, change)).toEqual([]);

    // After the change, the comment is written and tells the rollback.
    expect(answers('PATCH', COMMENT, change)).toContain(200);
    const comment = github.comments(21).find((c) => c.body.startsWith('<!-- model-gate report -->'));
    expect(comment?.body).toContain('rolled back to v1');
  });
});
