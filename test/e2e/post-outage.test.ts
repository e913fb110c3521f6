import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { bodyHead, readBody } from '../../src/github/sticky-comment.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runStep, type StepRun } from '../support/actions-runner.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { pullRequestEvent } from '../support/payloads.js';

// The bundled action: a PR's job is cancelled mid-analysis and its post step cannot read GitHub,
// so it withdraws the candidate on the platform directly and the PR comment is left saying
// "Analysing". The next run that reads the PR's state (here the schedule tick) must make the
// comment, the commit status and the canary slot tell the truth, and give the candidate no
// traffic again.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud-detector/model.yaml';
const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  ${MODEL}:
    source: { file: ${FILE}, key: version }
    strategy: { type: canary, steps: [5, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let github: FakeGitHub;
let workspace: string;

const sha = (n: number) => n.toString(16).padStart(40, 'c');
const serving = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;
const comment = () => github.comments(4).filter((c) => c.body.startsWith('<!-- model-gate report -->'));
const canaryClaims = () =>
  github.deployments(`model-gate/${MODEL}`).filter((d) => d.task === 'model-gate:canary');

function step(
  eventName: string,
  event: unknown,
  runId: number,
  extra: { state?: Record<string, string>; onSpawn?: (kill: (s: NodeJS.Signals) => void) => void } = {},
  script: 'index.js' | 'post.js' = 'index.js',
): Promise<StepRun> {
  github.startRun(runId);
  return runStep(script, {
    workspace,
    eventName,
    event,
    env: { SANDBOX_URL: sandbox.url, GITHUB_API_URL: github.url, GITHUB_RUN_ID: String(runId) },
    inputs: { 'github-token': 'ghs_fake_token_123', 'max-wait': '2m' },
    ...extra,
  }).finally(() => github.endRun(runId));
}

/** The stored state as a lease that ran out would leave it: every `watchedUntil` in the past. */
async function expireLease(c: { id: number; body: string } | undefined): Promise<void> {
  if (!c) throw new Error('no model-gate comment');
  const { stamp, data } = readBody(c.body);
  const past = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(past)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v).map(([k, x]) => [k, k === 'watchedUntil' ? Date.now() - 1 : past(x)]),
          )
        : v;
  const visible = c.body.slice(c.body.indexOf('-->', c.body.indexOf('model-gate-data:')) + 4);
  const body = bodyHead(stamp ?? { runId: 301, attempt: 1 }, past(data)) + visible;
  const res = await fetch(`${github.url}/repos/Codertocat/Hello-World/issues/comments/${c.id}`, {
    method: 'PATCH',
    headers: { authorization: 'token ghs_fake_token_123', 'content-type': 'application/json' },
    body: JSON.stringify({ body }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 4,
  });
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 50, seed: 8 });
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  workspace = await mkdtemp(join(tmpdir(), 'model-gate-outage-'));
  await mkdir(join(workspace, '.github'));
  await writeFile(join(workspace, '.github', 'model-gate.yml'), CONFIG);
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

describe('a cancelled job whose post step could not reach GitHub', () => {
  it('the next schedule tick records the candidate withdrawn, and the comment, status and slot say so', async () => {
    github.setFile(sha(1), FILE, 'version: v1\n');
    github.setFile(sha(2), FILE, 'version: v2\n');
    github.setPullRequest(4, {
      baseSha: sha(1),
      headSha: sha(2),
      files: [{ filename: FILE, status: 'modified' }],
    });
    const event = pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 4 });

    // The job is cancelled once its comment shows v2 live in the first step.
    const job = await step('pull_request', event, 301, {
      onSpawn: (kill) => {
        const poll = setInterval(() => {
          if (!comment()[0]?.body.includes('analysing step 1 of 2 (5% of live traffic)')) return;
          clearInterval(poll);
          kill('SIGTERM');
        }, 25);
      },
    });
    expect(await serving()).toMatchObject({ canary: { version: 'v2', weight: 5 } });
    expect(comment()[0]?.body).toContain('## model-gate: ⏳ Analysing');

    // GitHub refuses the post step (403 is not retried: the same path as an outage outlasting the retries).
    github.failNext('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 403, 1);
    const post = await step('pull_request', event, 301, { state: job.state }, 'post.js');
    expect(post.code).toBe(1);
    expect(post.stdout).toContain('fraud-detector: v2 withdrawn on the platform');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    // The comment, the status and the slot still say what the job last wrote.
    expect(comment()[0]?.body).toContain('## model-gate: ⏳ Analysing');
    expect(github.commitStatuses(sha(2)).at(-1)?.state).toBe('pending');

    // The cancelled job's lease is still in the comment: the tick cannot tell that job from one
    // still changing traffic on a platform slow to confirm it, so it leaves the release alone.
    const early = await step('schedule', { schedule: '*/15 * * * *' }, 302);
    expect(early.code).toBe(0);
    expect(early.outputs.decision).toBe('skipped');
    expect(early.stdout).toMatch(
      /fraud-detector: the job of PR #4 watches v2 until .* UTC; this tick leaves it to that job/,
    );
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(comment()[0]?.body).toContain('## model-gate: ⏳ Analysing');

    // The short lease runs out (minutes later): the next tick records what happened.
    await expireLease(comment()[0]);
    const tick = await step('schedule', { schedule: '*/15 * * * *' }, 303);
    expect(tick.code).toBe(0);
    expect(tick.outputs.decision).toBe('aborted');
    expect(tick.stdout).toMatch(
      /::warning::fraud-detector: v2 had no live traffic when this run went to resume step 1 of 2/,
    );
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(comment()).toHaveLength(1);
    expect(comment()[0]?.body).toContain('## model-gate: ⏹️ Withdrawn');
    expect(comment()[0]?.body).toContain(
      "the run analysing it withdrew it without recording that (GitHub did not answer: a stopped job's post step, or a rollback GitHub refused to record; that run's log says which), or it was withdrawn by hand; push a new commit, or close and reopen the PR, to analyse it again",
    );
    expect(github.commitStatuses(sha(2)).at(-1)?.state).toBe('error');
    expect(canaryClaims().map((d) => d.statuses.at(-1)?.state)).toEqual(['inactive']);
    expect(github.violations).toEqual([]);
  }, 60_000);
});
