import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLEANUP_STATE } from '../../src/action/post.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudAbConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// An A/B (weeks long, driven by schedule ticks) whose PR is closed, or merged, while GitHub is
// down: the PR's job dies on its first GitHub read, and a close job's post step has no candidate
// saved to withdraw. Every tick after went on driving the closed PR's candidate at 50% of users,
// for days. A tick now asks GitHub for the PR's state before it drives the release. Main steps
// from src/ in this process, the post step from src/ as its own process, against the GitHub
// stand-in (requests and answers checked against GitHub's OpenAPI description) and the sandbox.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const CONFIG = fraudAbConfig(FILE);
const PULL = '/repos/{owner}/{repo}/pulls/{pull_number}';
const shas = { base: sha(1), head: sha(2) };
const env = { MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' };

let github: FakeGitHub;
let sandbox: Sandbox;
let workspace: string;
let pr = 6;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  workspace = await mkdtemp(join(tmpdir(), 'model-gate-closed-down-'));
  await mkdir(join(workspace, '.github'));
  await writeFile(join(workspace, '.github', 'model-gate.yml'), CONFIG);
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

/** Each test's own PR, its A/B started by its job (one pass): v2 gets half the users. */
beforeEach(async () => {
  pr++;
  github.setPullRequest(pr, { ...prFiles(), state: 'open' });
  const opened = await mainStep('pull_request', pullRequestEvent('opened', shas, { number: pr }));
  expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);
  expect(await fraudServing(sandbox)).toMatchObject(AB_LIVE);
});

// The PR's close job, GitHub answering: frees the canary slot for the next test, whatever this one left.
afterEach(async () => {
  await mainStep('pull_request', pullRequestEvent('closed', shas, { number: pr }));
  expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
});

const AB_LIVE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };
const prFiles = () => ({
  baseSha: shas.base,
  headSha: shas.head,
  files: [{ filename: FILE, status: 'modified' as const }],
});

const mainStep = (eventName: string, event: unknown, inputs: Record<string, string> = {}) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', mode: 'tick', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { ...env, SANDBOX_URL: sandbox.url },
  });
const scheduleTick = () => mainStep('schedule', { schedule: '*/15 * * * *' });

/** GitHub answers the next `requests` requests, whatever they are, 502, and so every retry of each (1 + 3). */
const gitHubDownFor = (requests: number) => github.failNext('*', /./, 502, 4 * requests);

/** The PR's close (or merge) job while GitHub is down, then its post step, as the runner runs them. */
async function closedWhileGitHubDown(merged: boolean) {
  github.setPullRequest(pr, { ...prFiles(), state: 'closed', merged });
  const event = pullRequestEvent('closed', shas, { number: pr, merged });
  // A close job first reads the PR, and refused goes on to withdraw (stale-event.ts): its next
  // read, the ledger's, fails too. A merge job's first read is the ledger's.
  gitHubDownFor(merged ? 1 : 2);
  const job = await mainStep('pull_request', event);
  expect(job.error).toMatch(/^model-gate stopped: GitHub answered 502/);
  gitHubDownFor(1);
  const post = await runStep('post.js', {
    workspace,
    eventName: 'pull_request',
    event,
    env: { ...env, SANDBOX_URL: sandbox.url, GITHUB_API_URL: github.url },
    inputs: { 'github-token': 'ghs_fake_token' },
    // What a close job's main step saves: it starts no candidate, so none.
    state: { [CLEANUP_STATE]: '[]' },
    fromSource: true,
  });
  expect(post.code).toBe(1);
  expect(post.stdout).toContain('no candidate was saved as live');
  // The fault as it was: nothing withdrew v2, nothing recorded the close.
  expect(await fraudServing(sandbox)).toMatchObject(AB_LIVE);
  expect(recorded()?.status).toBe('analysing');
  return event;
}

const comment = () =>
  github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
const recorded = () =>
  (readBody(comment()).data as { releases: Record<string, Release> } | undefined)?.releases[MODEL];

describe('an A/B whose PR is closed while GitHub is down', () => {
  it('the next tick withdraws v2, and the PR comment says the PR was closed', async () => {
    await closedWhileGitHubDown(false);

    github.resetRequests();
    const tick = await scheduleTick();
    expect([tick.error, tick.outputs.decision]).toEqual([undefined, 'aborted']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    const why = `PR #${pr} was closed without merging, but its close job did not record it (it stopped before it could: GitHub not answering, say); v2 withdrawn by a schedule tick`;
    expect(recorded()).toMatchObject({ status: 'aborted', reason: why });
    expect(recorded()?.withdrawPending).toBeUndefined();
    expect(comment()).toContain('## model-gate: ⏹️ Withdrawn');
    expect(comment()).toContain(`PR #${pr} was closed without merging, but its close job did not record it`);
    // Its cost: one read of the PR.
    expect(github.requestCount('GET', PULL)).toBe(1);

    // The canary slot is free, and the ticks after leave v1 alone, asking GitHub nothing of the PR.
    github.resetRequests();
    const next = await scheduleTick();
    expect([next.error, next.outputs.decision]).toEqual([undefined, 'skipped']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(github.requestCount('GET', PULL)).toBe(0);
  });

  it('a tick that cannot read the PR goes on driving the A/B as before, and says so', async () => {
    github.failNext('GET', PULL, 502, 4);
    const tick = await scheduleTick();
    expect([tick.error, tick.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(tick.log).toContain(
      `::warning::${MODEL}: could not read the state of PR #${pr} (GitHub answered 502 to GET ${github.url}/repos/Codertocat/Hello-World/pulls/${pr}: Server Error); this tick drives v2 as before`,
    );
    expect(await fraudServing(sandbox)).toMatchObject(AB_LIVE);
    expect(recorded()?.status).toBe('analysing');

    // The PR's own job, were it to run a tick, knows its PR: it does not ask.
    github.resetRequests();
    const own = await mainStep('pull_request', pullRequestEvent('opened', shas, { number: pr }), {
      command: 'tick',
    });
    expect([own.error, own.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(github.requestCount('GET', PULL)).toBe(0);
  });
});

describe('an A/B whose PR is merged while GitHub is down', () => {
  it('the tick does not promote v2 and asks on the PR for the merge job again, which settles it', async () => {
    const merged = await closedWhileGitHubDown(true);

    const tick = await scheduleTick();
    expect([tick.error, tick.outputs.decision]).toEqual([undefined, 'analysing']);
    expect(await fraudServing(sandbox)).toMatchObject(AB_LIVE);
    const note = `PR #${pr} was merged, but its merge job did not record it, so no schedule tick promotes v2: re-run the merge job of PR #${pr} (on-merge: require-pass)`;
    expect(comment()).toContain(note);
    expect(tick.report).toContain(note);

    // Its re-run, GitHub answering: merged before the A/B passed, v2 is withdrawn unpromoted.
    const rerun = await mainStep('pull_request', merged);
    expect([rerun.error, rerun.outputs.decision]).toEqual([undefined, 'aborted']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  });
});
