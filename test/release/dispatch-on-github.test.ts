import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest, type PullRequestEvent, type RunResult } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { enginePorts } from '../support/engine-ports.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';

// The engine's commands with GitHub as the ledger (Deployments, the PR comments) on a GitHub
// stand-in that checks every request against GitHub's OpenAPI description; the reports are
// published as the action does.
const MODEL = 'fraud';
const ENV = `model-gate/${MODEL}`;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const { config } = parseConfig(FRAUD_CANARY_YAML, {});

let github: FakeGitHub;
const clock = new FakeClock(Date.now());
const target = new MemoryTarget({ stable: { version: 'v1' } });
const files: Record<string, Record<string, string>> = {};
let runId = 100;

beforeAll(async () => {
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** One job: its ledger and ports, and the publish step the action ends with. */
function job(pr?: PullRequestEvent) {
  // Octokit without gitHubClient's throttling, whose second between writes is not under test.
  const client = getOctokit('ghs_x', { baseUrl: github.url });
  const ledger = new GitHubLedger({ client, repo, sha: pr?.headSha ?? sha(999), pr: pr?.number });
  const ports = enginePorts({ ledger, files, clock, target });
  const stamp = { runId: ++runId, attempt: 1 };
  async function publish(result: RunResult) {
    const publisher = new CommentPublisher(
      ledger,
      (r, compact) => renderMarkdown(config, r, { now: clock.now(), compact, prComment: true }),
      stamp,
      clock,
      { settleMs: 0 },
    );
    const notes = new Map<number, RunResult['skipped']>();
    if (pr) notes.set(pr.number, result.skipped);
    for (const n of result.notify ?? [])
      notes.set(n.pr, [...(notes.get(n.pr) ?? []), { model: n.model, why: n.why, kind: 'note' as const }]);
    await publisher.publish({ final: true, notes, rollbacks: result.rollbacks });
    return result;
  }
  return { ports, publish };
}

function pullRequest(number: number, base: number, head: number, from: string, to: string): PullRequestEvent {
  files[sha(base)] = { 'fraud.yaml': `version: ${from}\n` };
  files[sha(head)] = { 'fraud.yaml': `version: ${to}\n` };
  github.setPullRequest(number, { baseSha: sha(base), headSha: sha(head), files: [] });
  return { action: 'opened', number, baseSha: sha(base), headSha: sha(head), merged: false };
}

async function onPullRequest(event: PullRequestEvent, mode: 'watch' | 'tick' = 'watch') {
  const { ports, publish } = job(event);
  return publish(
    await handlePullRequest(config, event, ports, { mode, maxWaitMs: 3_600_000, dryRun: false }),
  );
}

async function dispatch(command: 'rollback', inputs: { toVersion?: string; trigger: string }) {
  const { ports, publish } = job();
  return publish(await handleCommand(config, command, { model: MODEL, dryRun: false, ...inputs }, ports));
}

const comment = (pr: number) =>
  github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
const serves = () => github.deployments(ENV).filter((d) => d.task === 'deploy');
const latest = (d: { statuses: { state: string; description: string }[] }) => d.statuses.at(-1);

describe('workflow_dispatch and schedule rollbacks on GitHub', () => {
  it('heads the comment of the PR whose version was rolled back as rolled back, naming the event that ran it', async () => {
    const pr2 = pullRequest(2, 1, 2, 'v1', 'v2');
    expect(runDecision(await onPullRequest(pr2))).toBe('ready');
    expect(runDecision(await onPullRequest({ ...pr2, action: 'closed', merged: true }))).toBe('promoted');
    expect(comment(2)).toContain('## model-gate: 🚀 Promoted');

    // `command: rollback` on a schedule event.
    const result = await dispatch('rollback', { trigger: 'schedule' });
    expect(runDecision(result)).toBe('rolled-back');
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    const body = comment(2);
    expect(body).toContain('## model-gate: ↩️ Rolled back by command');
    expect(body).not.toContain('🚀 Promoted');
    expect(body).not.toContain('now serves v1');
    expect(body).toContain('- fraud: v2 was rolled back to v1 by schedule');
    expect(body).not.toContain('workflow\\_dispatch');
    const [promotion, rollback] = serves();
    expect(rollback).toMatchObject({ payload: { kind: 'rollback', version: 'v1', previous: 'v2' } });
    expect(rollback && latest(rollback)).toMatchObject({
      state: 'success',
      description: 'rolled back by schedule',
    });
    expect(promotion && latest(promotion)?.state).toBe('inactive');
  });

  it('a rollback to the version already serving records no Deployment, and withdraws the candidate in flight', async () => {
    const pr3 = pullRequest(3, 3, 4, 'v1', 'v4');
    expect(runDecision(await onPullRequest(pr3, 'tick'))).toBe('analysing');
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v4', weight: 10 } });
    const before = serves().map((d) => [d.id, latest(d)?.state]);

    const result = await dispatch('rollback', { toVersion: 'v1', trigger: 'workflow_dispatch' });
    expect(runDecision(result)).toBe('aborted');
    expect(result.releases).toMatchObject([{ model: MODEL, to: 'v4', pr: 3, status: 'aborted' }]);
    expect(serves().map((d) => [d.id, latest(d)?.state])).toEqual(before);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    const body = comment(3);
    expect(body).toContain('## model-gate: ⏹️ Withdrawn');
    expect(body).toContain('v4 was withdrawn: a rollback to v1 by workflow\\_dispatch withdrew it');
    expect(body).toMatch(/\| step 1 of 2 \| 10% \| [\d: -]+ \| \d+s \| withdrawn \|/);
    const canary = github.deployments(ENV).filter((d) => d.task === 'model-gate:canary');
    expect(canary.map((d) => latest(d)?.state)).toEqual(['inactive', 'inactive']);
  });

  it('ignores a Deployment whose payload versions a version file could not hold: a rollback never serves them', async () => {
    // Anyone allowed to create deployments can write a payload; its `previous` is what a default rollback serves.
    const client = getOctokit('ghs_x', { baseUrl: github.url });
    const history = await new GitHubLedger({ client, repo, sha: sha(999) }).history(MODEL);
    const serving = history.at(-1)?.version ?? '';
    await client.rest.repos.createDeployment({
      ...repo,
      ref: sha(999),
      task: 'deploy',
      environment: ENV,
      auto_merge: false,
      required_contexts: [],
      payload: { kind: 'promotion', version: serving, previous: '$(id)', summary: 'edited' },
      description: 'edited',
    });
    expect(await new GitHubLedger({ client, repo, sha: sha(999) }).history(MODEL)).toEqual(history);
  });

  it("a schedule tick that finds a job's candidate just withdrawn lets that job's own end stand", async () => {
    const pr5 = pullRequest(5, 11, 12, 'v1', 'v5');
    expect(runDecision(await onPullRequest(pr5, 'tick'))).toBe('analysing');
    // The job rolls back: traffic withdrawn first, its failed state recorded a moment later.
    target.state = { stable: { version: 'v1' } };
    const theJob = job(pr5);
    const analysing = await theJob.ports.ledger.release(MODEL);
    if (!analysing) throw new Error('no release');
    const failed = { ...analysing, status: 'failed' as const, reason: 'errors: 9.0% is above the max 2.0%' };
    const tick = job();
    const result = await tick.publish(
      await handleSchedule(
        config,
        {
          ...tick.ports,
          clock: {
            now: () => clock.now(),
            async sleep(ms) {
              await theJob.ports.ledger.saveRelease({ ...failed, updatedAt: clock.now() });
              await theJob.publish({ releases: [failed], skipped: [] });
              await clock.sleep(ms);
            },
          },
        },
        { mode: 'tick', maxWaitMs: 60_000 },
      ),
    );
    expect(result.releases).toMatchObject([{ model: MODEL, pr: 5, status: 'failed' }]);
    expect(comment(5)).toContain('errors: 9.0% is above the max 2.0%');
    expect(comment(5)).not.toContain('without recording');
  });
});
