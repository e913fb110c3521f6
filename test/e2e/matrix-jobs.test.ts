import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runStep, type StepRun } from '../support/actions-runner.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { startFraudCopiesSandbox } from '../support/fraud-copies-sandbox.js';
import { pullRequestEvent } from '../support/payloads.js';

// The README's "one job per model": a PR changes two models' versions and a matrix runs the bundled
// action once per model (`model` input), the jobs side by side, all on the PR's one comment.
const MODELS = ['fraud-detector', 'churn'] as const;
const file = (model: string) => `models/${model}/model.yaml`;
const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
${MODELS.map(
  (m) => `  ${m}:
    source: { file: ${file(m)}, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }`,
).join('\n')}
`;

let sandbox: Sandbox;
const traffic: TrafficGenerator[] = [];
let github: FakeGitHub;
let workspace: string;

const sha = (n: number) => n.toString(16).padStart(40, 'a');
const serving = async (model: string) =>
  (await requestJson('GET', `${sandbox.url}/admin/models/${model}/traffic`)).body;
const ourComments = (pr: number) =>
  github.comments(pr).filter((c) => c.body.startsWith('<!-- model-gate report -->'));
/** Each model's release status, as the PR's comment holds it. */
const recorded = (pr: number) => {
  const data = readBody(ourComments(pr)[0]?.body ?? '').data as { releases: Record<string, Release> };
  return Object.fromEntries(Object.values(data.releases).map((r) => [r.model, r.status]));
};

/** A PR changing every model's version from `from` to `to`. */
function openPr(number: number, base: number, head: number, from: string, to: string) {
  const shas = { base: sha(base), head: sha(head) };
  for (const model of MODELS) {
    github.setFile(shas.base, file(model), `version: ${from}\n`);
    github.setFile(shas.head, file(model), `version: ${to}\n`);
  }
  github.setPullRequest(number, {
    baseSha: shas.base,
    headSha: shas.head,
    files: MODELS.map((m) => ({ filename: file(m), status: 'modified' as const })),
  });
  return shas;
}

/** One matrix job of a run: the bundled action (or its post step) for one model. */
function job(
  event: unknown,
  model: string,
  extra: { runId: number; state?: Record<string, string>; onSpawn?: (kill: () => void) => void },
  script: 'index.js' | 'post.js' = 'index.js',
): Promise<StepRun> {
  return runStep(script, {
    workspace,
    eventName: 'pull_request',
    event,
    env: {
      SANDBOX_URL: sandbox.url,
      GITHUB_API_URL: github.url,
      GITHUB_RUN_ID: String(extra.runId),
      // Sibling jobs share one comment, which a job's last write checks again after 5 s (the
      // publisher's settle) to put back what a sibling's stale write dropped: at a twentieth (0.25 s)
      // a loaded CI machine's sibling write could land after it. A fifth (1 s) keeps the race the
      // product repairs without timing the test against the machine.
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.2',
    },
    inputs: { 'github-token': 'ghs_fake_token_123', 'max-wait': '2m', model },
    state: extra.state,
    onSpawn: extra.onSpawn && ((kill) => extra.onSpawn?.(() => kill('SIGTERM'))),
  });
}

beforeAll(async () => {
  sandbox = await startFraudCopiesSandbox(MODELS, 4);
  // 30 requests a second at 10%: a step's min-requests (40) in under 2 s.
  for (const [i, model] of MODELS.entries())
    traffic.push(startTraffic({ url: sandbox.url, model, rps: 300, seed: 8 + i }));
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  workspace = await mkdtemp(join(tmpdir(), 'model-gate-matrix-'));
  await mkdir(join(workspace, '.github'));
  await writeFile(join(workspace, '.github', 'model-gate.yml'), CONFIG);
});

afterAll(async () => {
  for (const t of traffic) await t.stop();
  await sandbox?.close();
  await github?.close();
});

describe('one job per model, side by side on one PR', () => {
  let pr2: { base: string; head: string };

  it('opened: both jobs end ready, and the one comment holds both releases', async () => {
    pr2 = openPr(2, 1, 2, 'v1', 'v2');
    github.resetRequests();
    const runs = await Promise.all(
      MODELS.map((m) => job(pullRequestEvent('opened', pr2), m, { runId: 300 })),
    );
    console.log(`two matrix jobs, opened: ${github.requestCount()} GitHub API requests`);
    expect(runs.map((r) => [r.code, r.outputs.decision])).toEqual([
      [0, 'ready'],
      [0, 'ready'],
    ]);
    expect(ourComments(2)).toHaveLength(1);
    expect(recorded(2)).toEqual({ 'fraud-detector': 'ready', churn: 'ready' });
  });

  it('merged: each job promotes its own model, once, and the comment says both were promoted', async () => {
    github.resetRequests();
    const merged = pullRequestEvent('closed', pr2, { merged: true });
    const runs = await Promise.all(MODELS.map((m) => job(merged, m, { runId: 301 })));
    console.log(`two matrix jobs, merged: ${github.requestCount()} GitHub API requests`);
    expect(runs.map((r) => [r.code, r.outputs.decision])).toEqual([
      [0, 'promoted'],
      [0, 'promoted'],
    ]);
    for (const model of MODELS) {
      expect(await serving(model)).toEqual({ stable: { version: 'v2' } });
      expect(github.deployments(`model-gate/${model}`).filter((d) => d.task === 'deploy')).toHaveLength(1);
    }
    expect(ourComments(2)).toHaveLength(1);
    expect(recorded(2)).toEqual({ 'fraud-detector': 'promoted', churn: 'promoted' });
  });

  it("a cancelled job's post step withdraws its own model only; the other job goes on to ready", async () => {
    const opened = pullRequestEvent('opened', openPr(3, 3, 4, 'v2', 'v4'), { number: 3 });
    let killed = false;
    /** Cancel the job once its candidate has live traffic. */
    const cancelWhenLive = (kill: () => void) => {
      const poll = setInterval(async () => {
        const t = (await serving('fraud-detector')) as { canary?: { weight: number } };
        if ((t.canary?.weight ?? 0) > 0) {
          clearInterval(poll);
          killed = true;
          kill();
        }
      }, 25);
    };
    const [post, other] = await Promise.all([
      job(opened, 'fraud-detector', { runId: 302, onSpawn: cancelWhenLive }).then((run) =>
        job(opened, 'fraud-detector', { runId: 302, state: run.state }, 'post.js'),
      ),
      job(opened, 'churn', { runId: 302 }),
    ]);
    expect(killed).toBe(true);
    expect([post.code, other.code, other.outputs.decision]).toEqual([0, 0, 'ready']);
    expect(await serving('fraud-detector')).toEqual({ stable: { version: 'v2' } });
    expect(await serving('churn')).toEqual({
      stable: { version: 'v2' },
      canary: { version: 'v4', weight: 0 },
    });
    expect(ourComments(3)).toHaveLength(1);
    expect(recorded(3)).toEqual({ 'fraud-detector': 'aborted', churn: 'ready' });
  });

  it('spoke only the documented API', () => {
    expect(github.violations).toEqual([]);
  });
});
