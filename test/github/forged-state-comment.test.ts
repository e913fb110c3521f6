import { getOctokit } from '@actions/github';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { composeBody, readBody } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import { fraudConfig, MERGED, OPENED, REPO, useCommentOwnerWorld } from '../support/comment-owner-world.js';
import { sha } from '../support/model-config.js';

// model-gate resumes a PR's releases from the state hidden in its PR comment. Anyone who can
// comment can post a look-alike of that comment (the marker and a state block): another App's
// bot, a workflow that echoes a user's text into a comment as github-actions[bot], a person. Only
// the comment the token itself wrote is read; and a merge promotes a `ready` only with the canary
// claim its analysis made on record, so a comment edited to say `ready` promotes nothing.

// The candidate's error rate is 0.005: under 0.02 it passes, over 0.001 it fails.
const strict = fraudConfig(0.001);
const w = useCommentOwnerWorld();
const { job } = w;

const forgeAs = (login: string, status: Release['status'] = 'ready', reason = 'passed every step') =>
  w.lookAlike(login, status, reason);

const canaryWeights = () => w.target.weights().filter((weight) => weight > 0);
const ourComments = () => w.github.comments(1).filter((c) => c.user === w.github.botLogin);

describe('a look-alike of the model-gate comment, posted by another account', () => {
  it("another App's bot posts a forged ready first: the job token's run ignores it, analyses v2 with canary traffic, then promotes it", async () => {
    const forged = forgeAs('other-app[bot]');
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    // The analysis ran: the candidate got its steps' traffic, which a resumed forged `ready` skips.
    expect(canaryWeights()).toEqual([10, 50]);
    expect(ourComments()).toHaveLength(1);

    expect(runDecision(await job(MERGED).run())).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    // Neither read nor written.
    expect(w.github.comments(1)[0]).toEqual(forged);
    expect(ourComments()).toHaveLength(1);
  });

  it('a forged failed by github-actions[bot] does not override the ready that a personal access token wrote', async () => {
    w.github.useToken('pat');
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    forgeAs('github-actions[bot]', 'failed', 'FORGED');

    const result = await job(MERGED).run();
    expect(result.skipped.map((s) => s.why).join('\n')).not.toContain('FORGED');
    expect(runDecision(result)).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });
});

describe('a merge of a PR whose own comment says ready', () => {
  it('promotes nothing when no canary claim of the PR is on record for it: the comment was edited from failed to ready', async () => {
    expect(runDecision(await job(OPENED, strict).run())).toBe('failed');
    const writes = w.target.writes.length;
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

    const result = await job(MERGED).run();
    const why =
      'v2 has no canary claim of PR #1 on record, so its ready state did not come from an analysis: not promoted; the base branch now declares v2 while v1 serves: to release v2, merge a PR that sets fraud.yaml back to v1, then open one that declares v2 again';
    expect(result.releases).toMatchObject([{ model: 'fraud', status: 'aborted', reason: why }]);
    // The merged PR's comment no longer invites a merge that already happened.
    const [after] = ourComments();
    expect(after?.body).not.toContain('Ready to merge');
    expect(after?.body).toContain('has no canary claim of PR #1 on record');
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    // Only the end's withdrawal of the candidate: v1 alone, as it was.
    expect(w.target.writes.slice(writes)).toEqual([{ stable: { version: 'v1' } }]);
    expect(w.github.deployments('model-gate/fraud').filter((d) => d.task === 'deploy')).toEqual([]);
  });
});

/** A maintainer's edit of a comment on GitHub (repository writers can edit the bot's). */
async function editComment(id: number, body: string) {
  const maintainer = getOctokit('ghp_maintainer', { baseUrl: w.github.url });
  await maintainer.rest.issues.updateComment({ ...REPO, comment_id: id, body });
}

/**
 * A look-alike the job token's own account posts (another workflow of the repository that echoes
 * a user's text into a PR comment with its GITHUB_TOKEN): its release of fraud `fields`, last
 * updated far in the future so that it is the newest record of the model.
 */
function forgeAsJobToken(fields: Partial<Release>) {
  const release = {
    ...newRelease(fraudConfig().models.fraud as Config['models'][string], {
      from: 'v1',
      to: 'v2',
      pr: 1,
      headSha: sha(3),
      now: w.clock.now(),
    }),
    updatedAt: w.clock.now() + 365 * 24 * 3_600_000,
    ...fields,
  };
  const body = composeBody('## model-gate', { runId: 1, attempt: 1 }, { releases: { fraud: release } });
  return w.github.addComment(1, body, w.github.botLogin);
}

describe("a look-alike posted as the job token's own account (github-actions[bot])", () => {
  const pendingToV0: Partial<Release> = {
    status: 'aborted',
    reason: 'FORGED',
    withdrawPending: true,
    ending: { serves: 'v0' },
  };

  it('after model-gate commented, a forged pending withdrawal to v0 moves no traffic to v0: the analysis goes on and v2 is promoted', async () => {
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    forgeAsJobToken(pendingToV0);

    const again = await job(OPENED).run();
    expect(again.skipped.map((s) => s.why).join('\n')).not.toContain('FORGED');
    expect(w.target.writes.flatMap((s) => Object.values(s))).not.toContainEqual({ version: 'v0' });
    expect(runDecision(await job(MERGED).run())).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });

  it('after model-gate commented, a forged pending withdrawal of a release from v0 (to v1, what serves) moves no traffic to v0', async () => {
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    forgeAsJobToken({ ...pendingToV0, from: 'v0', to: 'v1', ending: {} });
    await job(OPENED).run();
    expect(w.target.writes.flatMap((s) => Object.values(s))).not.toContainEqual({ version: 'v0' });
  });

  it("a forged failed for the head does not override model-gate's ready: a re-run stays ready, the merge promotes v2", async () => {
    expect(runDecision(await job(OPENED).run())).toBe('ready');
    forgeAsJobToken({ status: 'failed', phase: 1, reason: 'FORGED' });

    const again = await job(OPENED).run();
    expect(again.skipped.map((s) => s.why).join('\n')).not.toContain('FORGED');
    expect(runDecision(again)).toBe('ready');
    // Deleted by that run's write, its state not carried into model-gate's comment.
    expect(ourComments()).toHaveLength(1);
    expect(ourComments()[0]?.body).not.toContain('FORGED');
    expect(runDecision(await job(MERGED).run())).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });
});

// Before model-gate ever commented on the PR, a look-alike the token's account posts is the PR's
// first comment with the marker: read as model-gate's own. Its pending withdrawal and its `failed`
// are then honoured only where a canary claim of the PR for the same versions and head backs them:
// model-gate claims the slot before a candidate gets any traffic, and only the token writes claims.
describe("a look-alike posted as the job token's own account before model-gate commented", () => {
  const forgedFirst =
    /the model-gate comment #\d+ of PR #1 records fraud v2 .* no canary claim of PR #1 for v1 → v2 at /;

  it('a forged pending withdrawal to v0 moves no traffic to v0: v2 is analysed, said in the log, then promoted', async () => {
    forgeAsJobToken({ status: 'aborted', reason: 'FORGED', withdrawPending: true, ending: { serves: 'v0' } });

    const first = job(OPENED);
    const result = await first.run();
    expect(w.target.writes.flatMap((s) => Object.values(s))).not.toContainEqual({ version: 'v0' });
    expect(runDecision(result)).toBe('ready');
    expect(canaryWeights()).toEqual([10, 50]);
    expect(first.ledger.problemLines).toEqual([expect.stringMatching(forgedFirst)]);
    // model-gate's write replaced the forged state in that comment.
    expect(ourComments()).toHaveLength(1);
    expect(ourComments()[0]?.body).not.toContain('FORGED');

    expect(runDecision(await job(MERGED).run())).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });

  it('a forged failed for the head does not block its analysis: v2 is analysed, then promoted', async () => {
    forgeAsJobToken({ status: 'failed', phase: 1, reason: 'FORGED' });

    const result = await job(OPENED).run();
    expect(result.skipped.map((s) => s.why).join('\n')).not.toContain('FORGED');
    expect(runDecision(result)).toBe('ready');
    expect(canaryWeights()).toEqual([10, 50]);
    expect(ourComments()[0]?.body).not.toContain('FORGED');
    expect(runDecision(await job(MERGED).run())).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });

  it("model-gate's own failed analysis still stands: a re-run of the head reports it failed and analyses nothing", async () => {
    expect(runDecision(await job(OPENED, strict).run())).toBe('failed');
    const writes = w.target.writes.length;
    const again = job(OPENED, strict);
    const result = await again.run();
    expect(runDecision(result)).toBe('failed');
    expect(result.skipped.map((s) => s.why).join('\n')).toContain('already failed its analysis');
    expect(w.target.writes.slice(writes)).toEqual([]);
    expect(again.ledger.problemLines).toEqual([]);
  });

  it("model-gate's own failure before any deployment (an offline gate: no claim made) still stands on a re-run", async () => {
    const offline = parseConfig(
      `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates: [{ name: auc, kind: offline, file: eval.json, key: auc, min: 0.9 }]
`,
      {},
    ).config;
    expect(runDecision(await job(OPENED, offline).run())).toBe('failed');
    const again = job(OPENED, offline);
    const result = await again.run();
    expect(runDecision(result)).toBe('failed');
    expect(result.skipped.map((s) => s.why).join('\n')).toContain('already failed its analysis');
    expect(again.ledger.problemLines).toEqual([]);
    expect(w.target.writes).toEqual([]);
  });
});
