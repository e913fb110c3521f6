import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent, type RunResult } from '../../src/release/pull-request.js';
import { runSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// One schedule tick drives two PRs' releases: fraud (PR 7) and then churn (PR 8). GitHub fails on
// every try while the tick reads churn's PR comment, after fraud's candidate was moved to 50%. The
// tick used to stop there: fraud's step 2 lived only in memory, its comment still said step 1 while
// the platform served v2 at 50%, and the next tick judged step 1 again. Now the tick records what
// it drove, says churn was not driven, and fails the run at the end naming churn and GitHub's answer.
// GitHub is a stand-in; the platforms in memory; time a fake clock.
const REPO = { owner: 'Codertocat', repo: 'Hello-World' };
/** fraud and churn, each a two-step canary; `fraud`: more of fraud's settings (YAML lines). */
const twoModels = (fraud = '') =>
  parseConfig(
    `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }${fraud}
  churn:
    source: { file: churn.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    {},
  ).config;
const BASE = sha(1);
const FILES: Record<string, Record<string, string>> = {
  [BASE]: { 'fraud.yaml': 'version: v1\n', 'churn.yaml': 'version: v1\n' },
  [sha(7)]: { 'fraud.yaml': 'version: v2\n', 'churn.yaml': 'version: v1\n' },
  [sha(8)]: { 'fraud.yaml': 'version: v1\n', 'churn.yaml': 'version: v2\n' },
};
const opened = (number: number): PullRequestEvent => ({
  action: 'opened',
  number,
  baseSha: BASE,
  headSha: sha(number),
  merged: false,
});
const STEP_1 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const STEP_2 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };

let config = twoModels();
let github: FakeGitHub;
let platform: Record<string, MemoryTarget>;
let clock: FakeClock;
let runId = 500;
beforeEach(async () => {
  config = twoModels();
  github = await startFakeGitHub(REPO);
  for (const n of [7, 8]) github.setPullRequest(n, { baseSha: BASE, headSha: sha(n), files: [] });
  platform = { fraud: new MemoryTarget(), churn: new MemoryTarget() };
  clock = new FakeClock(Date.now());
});
afterEach(async () => {
  vi.unstubAllEnvs();
  expect(github.violations).toEqual([]);
  await github.close();
});

const client = () => gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.001 });

/** One job as the action runs it: the PR comments its ledger, written on every report and at its end. */
function job(event?: PullRequestEvent) {
  const ledger = new GitHubLedger({
    client: client(),
    repo: REPO,
    sha: event?.headSha ?? sha(999),
    pr: event?.number,
    clock,
    models: Object.keys(config.models),
  });
  const render = (r: RunResult, compact: boolean) =>
    renderMarkdown(config, r, { now: clock.now(), compact, prComment: true });
  const publisher = new CommentPublisher(ledger, render, { runId: ++runId, attempt: 1 }, clock, {
    settleMs: 0,
  });
  const warnings: string[] = [];
  const ports: Ports = {
    ledger,
    reader: memoryFileReader(FILES),
    clock,
    log: { info: () => {}, warn: (message) => warnings.push(message) },
    targetFor: (model) => platform[model.name] as MemoryTarget,
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': 0.005 } },
      }),
    onProgress: (_, progress) => publisher.publish(progress),
  };
  const publish = async (result: RunResult) => {
    const notes = new Map(event ? [[event.number, result.skipped]] : []);
    await publisher.publish({ final: true, notes });
    return result;
  };
  return { ports, publish, warnings };
}

/** A model's release as the next run reads it from its PR's comment. */
const recorded = (model: string, pr: number) =>
  new GitHubLedger({ client: client(), repo: REPO, sha: sha(999), pr, clock }).release(model);

const modelGateComment = (pr: number) => github.comments(pr)[0];

/** The PR's job on `event`, one pass, published as the action publishes it. */
async function prJob(event: PullRequestEvent) {
  const { ports, publish } = job(event);
  return publish(
    await handlePullRequest(config, event, ports, { mode: 'tick', maxWaitMs: 0, dryRun: false }),
  );
}

describe('a schedule tick that GitHub fails while it reads the second PR’s comment', () => {
  it('records fraud’s step 2, leaves churn as it was, and fails naming churn and GitHub’s answer', async () => {
    for (const n of [7, 8]) await prJob(opened(n));
    expect(platform.fraud?.state).toEqual(STEP_1);
    expect(platform.churn?.state).toEqual(STEP_1);
    const churnComment = modelGateComment(8);
    clock.advance(20_000);

    github.failNext('GET', new RegExp(`/issues/comments/${churnComment?.id}$`), 502, 4);
    const tick = job();
    const { defects, ...result } = await runSchedule(config, tick.ports, { mode: 'tick', maxWaitMs: 60_000 });
    await tick.publish(result);

    // fraud moved to step 2, and its PR's comment and commit status say so.
    expect(platform.fraud?.state).toEqual(STEP_2);
    expect(result.releases).toMatchObject([{ model: 'fraud', status: 'analysing', phase: 1 }]);
    expect(await recorded('fraud', 7)).toMatchObject({ status: 'analysing', phase: 1 });
    expect(modelGateComment(7)?.body).toContain('step 2 of 2');
    expect(github.commitStatuses(sha(7)).at(-1)?.description).toContain('50%');
    // churn was not driven: its traffic and record are as its PR's job left them.
    expect(platform.churn?.state).toEqual(STEP_1);
    expect(await recorded('churn', 8)).toMatchObject({ status: 'analysing', phase: 0 });
    const read = `GET ${github.url}/repos/${REPO.owner}/${REPO.repo}/issues/comments/${churnComment?.id}`;
    const why = `this tick stopped driving its release: GitHub answered 502 to ${read}: Server Error; the next tick tries again`;
    expect(result.skipped).toContainEqual({ model: 'churn', why, kind: 'note' });
    expect(tick.warnings).toContain(`churn: ${why}`);
    expect(defects.map((d) => d.message)).toEqual([`churn: ${why}`]);

    // GitHub answers again: the next tick judges fraud's step 2 (passed: ready), not step 1 again.
    clock.advance(20_000);
    const next = job();
    const again = await runSchedule(config, next.ports, { mode: 'tick', maxWaitMs: 60_000 });
    await next.publish(again);
    expect(again.defects).toEqual([]);
    expect(again.releases).toMatchObject([
      { model: 'fraud', status: 'ready' },
      { model: 'churn', status: 'analysing', phase: 1 },
    ]);
    expect(platform.churn?.state).toEqual(STEP_2);
  });
});

describe('a schedule tick whose promotion of a merged PR’s candidate GitHub fails to record', () => {
  it('still records the step it moved the other model to before the run fails', async () => {
    // fraud: one step, its PR merged mid-analysis (analyze-then-promote): the tick that passes it promotes it.
    config = twoModels(`
    strategy: { type: canary, steps: [10], step-duration: 1m, min-requests: 100, interval: 10s }
    on-merge: analyze-then-promote`);
    for (const n of [7, 8]) await prJob(opened(n));
    const merge = await prJob({ ...opened(7), action: 'closed', merged: true });
    expect(merge.releases).toMatchObject([{ model: 'fraud', status: 'analysing' }]);
    clock.advance(20_000);

    // A deployment's creation waits between its tries on the system clock: scaled down.
    vi.stubEnv('MODEL_GATE_TEST_GITHUB_WAIT_SCALE', '0.01');
    github.failNext('POST', /\/deployments$/, 502, 4);
    const tick = job();
    await expect(runSchedule(config, tick.ports, { mode: 'tick', maxWaitMs: 60_000 })).rejects.toThrow(
      'Server Error',
    );

    // churn moved to step 2 in that pass: its PR's comment says so.
    expect(platform.churn?.state).toEqual(STEP_2);
    expect(await recorded('churn', 8)).toMatchObject({ status: 'analysing', phase: 1 });
    expect(modelGateComment(8)?.body).toContain('step 2 of 2');
  });
});
