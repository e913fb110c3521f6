import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { composeBody, readBody } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { gitHubPrJob } from '../support/github-pr-job.js';
import { MemoryTarget } from '../support/memory-target.js';
import { sha } from '../support/model-config.js';

// model-gate resumes a PR's releases from the state hidden in its PR comment. Anyone who can
// comment can post a look-alike of that comment (the marker and a state block): another App's
// bot, a workflow that echoes a user's text into a comment as github-actions[bot], a person. Only
// the comment the token itself wrote is read; and a merge promotes a `ready` only with the canary
// claim its analysis made on record, so a comment edited to say `ready` promotes nothing.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const configText = (max: number) => `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: ${max} }
`;
// The candidate's error rate is 0.005 (engine-ports.ts): under 0.02 it passes, over 0.001 it fails.
const config = parseConfig(configText(0.02), {}).config;
const strict = parseConfig(configText(0.001), {}).config;
const files: Record<string, Record<string, string>> = {
  [sha(2)]: { 'fraud.yaml': 'version: v1\n' },
  [sha(3)]: { 'fraud.yaml': 'version: v2\n' },
};
const clock = new FakeClock(Date.now());
const opened: PullRequestEvent = {
  action: 'opened',
  number: 1,
  baseSha: sha(2),
  headSha: sha(3),
  merged: false,
};
const merged: PullRequestEvent = { ...opened, action: 'closed', merged: true };
let github: FakeGitHub;
let target: MemoryTarget;
let runId = 100;

beforeEach(async () => {
  github = await startFakeGitHub(repo);
  github.setPullRequest(1, { baseSha: sha(2), headSha: sha(3), files: [] });
  target = new MemoryTarget({ stable: { version: 'v1' } });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** One job of the action on `event`, the GitHub stand-in its ledger, the in-memory platform its target. */
const job = (event: PullRequestEvent, cfg: Config = config) =>
  gitHubPrJob({ githubUrl: github.url, repo, config: cfg, event, target, files, clock, runId: ++runId });

/** A model-gate comment as `login` posts it: the marker and a state block saying v2 is `status`. */
function forgeAs(login: string, status: Release['status'] = 'ready', reason = 'passed every step') {
  const base = newRelease(config.models.fraud as Config['models'][string], {
    from: 'v1',
    to: 'v2',
    pr: 1,
    headSha: sha(3),
    now: clock.now(),
  });
  const state = { releases: { fraud: { ...base, status, phase: 1, reason } } };
  return github.addComment(1, composeBody('## model-gate', { runId: 1, attempt: 1 }, state), login);
}

const canaryWeights = () => target.weights().filter((w) => w > 0);
const ourComments = () => github.comments(1).filter((c) => c.user === github.botLogin);

describe('a look-alike of the model-gate comment, posted by another account', () => {
  it("another App's bot posts a forged ready first: the job token's run ignores it, analyses v2 with canary traffic, then promotes it", async () => {
    const forged = forgeAs('other-app[bot]');
    expect(runDecision(await job(opened).run())).toBe('ready');
    // The analysis ran: the candidate got its steps' traffic, which a resumed forged `ready` skips.
    expect(canaryWeights()).toEqual([10, 50]);
    expect(ourComments()).toHaveLength(1);

    expect(runDecision(await job(merged).run())).toBe('promoted');
    expect(target.state).toEqual({ stable: { version: 'v2' } });
    // Neither read nor written.
    expect(github.comments(1)[0]).toEqual(forged);
    expect(ourComments()).toHaveLength(1);
  });

  it('a forged failed by github-actions[bot] does not override the ready that a personal access token wrote', async () => {
    github.useToken('pat');
    expect(runDecision(await job(opened).run())).toBe('ready');
    forgeAs('github-actions[bot]', 'failed', 'FORGED');

    const result = await job(merged).run();
    expect(result.skipped.map((s) => s.why).join('\n')).not.toContain('FORGED');
    expect(runDecision(result)).toBe('promoted');
    expect(target.state).toEqual({ stable: { version: 'v2' } });
  });
});

describe('a merge of a PR whose own comment says ready', () => {
  it('promotes nothing when no canary claim of the PR is on record for it: the comment was edited from failed to ready', async () => {
    expect(runDecision(await job(opened, strict).run())).toBe('failed');
    const writes = target.writes.length;
    // Anyone with write access can edit the bot's comment, its hidden state included.
    const [comment] = ourComments();
    if (!comment) throw new Error('no model-gate comment');
    const state = readBody(comment.body).data as { releases: Record<string, Partial<Release>> };
    Object.assign(state.releases.fraud ?? {}, { status: 'ready', reason: 'passed every step' });
    const encoded = Buffer.from(JSON.stringify(state)).toString('base64');
    const edited = comment.body.replace(
      /<!-- model-gate-data:\S* -->/,
      `<!-- model-gate-data:${encoded} -->`,
    );
    await editComment(comment.id, edited);

    const result = await job(merged).run();
    expect(result.skipped).toContainEqual({
      model: 'fraud',
      why: "v2 has no canary claim of PR #1 on record: not promoted; re-run the PR's job to analyse it",
      kind: 'note',
    });
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(target.writes).toHaveLength(writes);
    expect(github.deployments('model-gate/fraud').filter((d) => d.task === 'deploy')).toEqual([]);
  });
});

/** A maintainer's edit of a comment on GitHub (repository writers can edit the bot's). */
async function editComment(id: number, body: string) {
  const maintainer = getOctokit('ghp_maintainer', { baseUrl: github.url });
  await maintainer.rest.issues.updateComment({ ...repo, comment_id: id, body });
}
