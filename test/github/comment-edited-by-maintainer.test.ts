import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import {
  COMMENT_LIMIT,
  COMMENT_MARKER,
  composeBody,
  readBody,
  StickyComment,
} from '../../src/github/sticky-comment.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { gitHubPrJob } from '../support/github-pr-job.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';

// Repository writers can edit the bot's PR comment, and do: a note above the report. The comment
// must stay the PR's record (the next job reads its state from it) and stay one comment.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const { config } = parseConfig(FRAUD_CANARY_YAML, {});
const NOTE = '**Ops:** hold the merge until Monday.\n\n';
const files: Record<string, Record<string, string>> = {};
const clock = new FakeClock(Date.now());
let github: FakeGitHub;
let runId = 100;

beforeEach(async () => {
  github = await startFakeGitHub(repo);
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** PR #1, moving fraud from v1 to v2. */
function pullRequest(): PullRequestEvent {
  files[sha(2)] = { 'fraud.yaml': 'version: v1\n' };
  files[sha(3)] = { 'fraud.yaml': 'version: v2\n' };
  github.setPullRequest(1, { baseSha: sha(2), headSha: sha(3), files: [] });
  return { action: 'opened', number: 1, baseSha: sha(2), headSha: sha(3), merged: false };
}

/** One job of the action on `event`: the engine with GitHub as its ledger, then the comment published. */
async function job(event: PullRequestEvent, target: MemoryTarget) {
  const run = gitHubPrJob({
    githubUrl: github.url,
    repo,
    config,
    event,
    target,
    files,
    clock,
    runId: ++runId,
  });
  return runDecision(await run.run());
}

const botComments = () => github.comments(1).filter((c) => c.user === github.botLogin);

/** A maintainer (not the job's token) edits the bot's comment on GitHub. */
async function edit(id: number, body: string) {
  const maintainer = getOctokit('ghp_maintainer', { baseUrl: github.url });
  await maintainer.rest.issues.updateComment({ ...repo, comment_id: id, body });
}

type Stored = { releases: Record<string, Partial<Release>> };
/** The state the comment holds, read from its marker on. */
const stateOf = (body: string) => readBody(body.slice(body.indexOf(COMMENT_MARKER))).data as Stored;

describe('the PR comment after a maintainer put a note above the report', () => {
  it.each([
    ['as the API saves it', (body: string) => body],
    ['as the web editor saves it (\\r\\n line ends)', (body: string) => body.replaceAll('\n', '\r\n')],
  ])(
    '%s: the merge job finds the release and promotes it, in the same one comment, note kept',
    async (_, saved) => {
      const target = new MemoryTarget({ stable: { version: 'v1' } });
      const event = pullRequest();
      expect(await job(event, target)).toBe('ready');
      const [comment] = botComments();
      if (!comment) throw new Error('the PR job wrote no comment');
      await edit(comment.id, saved(NOTE + comment.body));

      expect(await job({ ...event, action: 'closed', merged: true }, target)).toBe('promoted');
      expect(target.state).toEqual({ stable: { version: 'v2' } });
      const after = botComments();
      expect(after.map((c) => c.id)).toEqual([comment.id]);
      expect(after[0]?.body.startsWith(saved(NOTE))).toBe(true);
      expect(stateOf(after[0]?.body ?? '').releases.fraud).toMatchObject({ to: 'v2', status: 'promoted' });
    },
  );

  it("is not fooled by someone else's comment with the marker under a line of text", async () => {
    const target = new MemoryTarget({ stable: { version: 'v1' } });
    const event = pullRequest();
    const forged = `see below\n${composeBody('forged', { runId: 9_999, attempt: 1 }, { releases: {} })}`;
    github.addComment(1, forged, 'octocat');
    expect(await job(event, target)).toBe('ready');
    expect(botComments()).toHaveLength(1);
    expect(stateOf(botComments()[0]?.body ?? '').releases.fraud).toMatchObject({ status: 'ready' });
    expect(github.comments(1).find((c) => c.user === 'octocat')?.body).toBe(forged);
  });

  it('drops a note that no longer fits beside the new report: the state is written whole', async () => {
    pullRequest();
    const client = gitHubClient({ token: 'ghs_job', baseUrl: github.url, warn: () => {}, waitScale: 0.001 });
    const first = composeBody('short', { runId: 1, attempt: 1 }, { releases: {} });
    await new StickyComment(client, repo, 1).write(first, { runId: 1, attempt: 1 });
    const [comment] = botComments();
    if (!comment) throw new Error('no comment written');
    const note = `${'n'.repeat(COMMENT_LIMIT - first.length - 2)}\n\n`;
    await edit(comment.id, note + first);

    const longer = composeBody('x'.repeat(100), { runId: 2, attempt: 1 }, { releases: { fraud: {} } });
    expect(await new StickyComment(client, repo, 1).write(longer, { runId: 2, attempt: 1 })).toBe('updated');
    expect(botComments().map((c) => c.body)).toEqual([longer]);
  });
});
