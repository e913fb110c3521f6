import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest, type PullRequestEvent, type RunResult } from '../../src/release/pull-request.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { enginePorts } from '../support/engine-ports.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';

// A rollback by command whose traffic change took and whose Deployment GitHub made, but whose
// status GitHub refused (502): the error promised "re-run this job once that is fixed: it records
// the rollback and changes no traffic". The re-run said "v2 was rolled back to v1 … 3s ago;
// nothing changed" (the statusless Deployment counts in history) and left the Deployments page
// with v2's promotion `success`, the rollback with no status, and PR #2 without its note. The
// re-run now completes that record, changing no traffic.
const MODEL = 'fraud';
const ENV = `model-gate/${MODEL}`;
const STATUSES = '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses';
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const { config } = parseConfig(FRAUD_CANARY_YAML, {});

let github: FakeGitHub | undefined;
afterEach(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
});

/** v2 promoted by PR #2 over v1, on GitHub as the ledger; the rollback's status then refused for good. */
async function promotedThenStatusRefused() {
  const gh = await startFakeGitHub(repo);
  github = gh;
  const clock = new FakeClock(Date.now());
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const files: Record<string, Record<string, string>> = {
    [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
    [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
  };
  let runId = 100;
  function job(pr?: PullRequestEvent) {
    const client = getOctokit('ghs_x', { baseUrl: gh.url });
    const ledger = new GitHubLedger({ client, repo, sha: pr?.headSha ?? sha(999), pr: pr?.number });
    const ports = enginePorts({ ledger, files, clock, target });
    const stamp = { runId: ++runId, attempt: 1 };
    async function publish(result: RunResult) {
      const render = (r: RunResult, compact?: boolean) =>
        renderMarkdown(config, r, { now: clock.now(), compact, prComment: true });
      const publisher = new CommentPublisher(ledger, render, stamp, clock, { settleMs: 0 });
      const notes = new Map<number, RunResult['skipped']>();
      if (pr) notes.set(pr.number, result.skipped);
      for (const n of result.notify ?? [])
        notes.set(n.pr, [...(notes.get(n.pr) ?? []), { model: n.model, why: n.why, kind: 'note' as const }]);
      await publisher.publish({ final: true, notes, rollbacks: result.rollbacks });
      return result;
    }
    return { ports, publish };
  }
  gh.setPullRequest(2, { baseSha: sha(1), headSha: sha(2), files: [] });
  const pr2: PullRequestEvent = {
    action: 'opened',
    number: 2,
    baseSha: sha(1),
    headSha: sha(2),
    merged: false,
  };
  for (const event of [pr2, { ...pr2, action: 'closed', merged: true }]) {
    const { ports, publish } = job(event);
    await publish(
      await handlePullRequest(config, event, ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false }),
    );
  }
  expect(target.state).toEqual({ stable: { version: 'v2' } });
  const rollback = async (toVersion?: string) => {
    const { ports, publish } = job();
    const inputs = { model: MODEL, toVersion, dryRun: false, trigger: 'workflow_dispatch' };
    return publish(await handleCommand(config, 'rollback', inputs, ports));
  };
  gh.failNext('POST', STATUSES, 502, 10);
  await expect(rollback()).rejects.toThrow(
    're-run this job once that is fixed: it records the rollback, or completes its record, and changes no traffic',
  );
  gh.clearFaults();
  expect(target.state).toEqual({ stable: { version: 'v1' } });
  const serves = () => gh.deployments(ENV).filter((d) => d.task === 'deploy');
  expect(serves().map((d) => d.statuses.at(-1)?.state)).toEqual(['success', undefined]);
  const comment = () =>
    gh.comments(2).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
  return { target, rollback, serves, comment, clock };
}

describe('a re-run of a rollback whose Deployment status GitHub refused', () => {
  it.each([
    ['the same inputs, at once', undefined, 0],
    ['the same inputs, an hour later', undefined, 3_600_000],
    ['to-version naming the version it went to', 'v1', 0],
  ])('%s: completes the record, notes PR #2, and changes no traffic', async (_, toVersion, later) => {
    const w = await promotedThenStatusRefused();
    const writes = w.target.writes.length;
    await w.clock.sleep(later);

    const result = await w.rollback(toVersion);

    expect(w.target.writes.length).toBe(writes);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(runDecision(result)).toBe('rolled-back');
    expect(result.rollbacks).toMatchObject([{ kind: 'rollback', previous: 'v2', version: 'v1' }]);
    expect(result.skipped.map((s) => s.why)).toEqual([
      'the rollback v2 -> v1 by workflow_dispatch took, but its record stopped half way (its Deployment has no status): it is complete now, and no traffic changed',
    ]);
    const [promotion, rollback] = w.serves();
    expect(rollback?.statuses.at(-1)).toMatchObject({
      state: 'success',
      description: 'rolled back by workflow_dispatch',
    });
    expect(promotion?.statuses.at(-1)).toMatchObject({ state: 'inactive', description: 'replaced by v1' });
    expect(w.comment()).toContain('- fraud: v2 was rolled back to v1 by workflow\\_dispatch');

    // Complete now: another run records nothing more (an hour on, one without to-version asks
    // for one: v2 was rolled back, and nothing served before v1).
    await w.rollback(toVersion).catch(() => undefined);
    expect(w.serves()).toHaveLength(2);
    expect(w.target.writes.length).toBe(writes);
  });
});
