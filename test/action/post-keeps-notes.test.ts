import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { platformPassThrough, workspaceWith } from '../support/platform-pass-through.js';

// A PR's job over two models, cancelled while one is analysing: the post step writes the PR's
// last comment, which must still say what the run made of the other one (already stable), as the
// comment of the same job left to finish does, not only the candidate it withdrew. Both steps run
// from src/ as their own processes; the cancel is the runner's SIGINT once v2 gets live traffic.
const PR = 31;
const STEPS = '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1000000, interval: 1s }';
// scorer is served by the sandbox's fraud-detector endpoint, whose stable version is v1: the PR
// declaring scorer v1 has nothing to deploy for it.
const CONFIG = `version: 1
defaults:
  strategy: ${STEPS}
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${PLATFORM_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
  scorer:
    source: { file: models/scorer.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}", model: fraud-detector }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;
const shas = { base: sha(1), head: sha(2) };

let sandbox: Sandbox;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let workspace: string;
/** Cancels the main step: set once it runs. */
let cancel: () => void = () => {};

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  // The main step is cancelled as the platform gives v2 its first live traffic.
  platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    const answer = await forward();
    if (method === 'PUT' && (body as { canary?: unknown } | undefined)?.canary) cancel();
    return answer;
  });
  workspace = await workspaceWith(CONFIG, 'model-gate-post-notes-');
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v1\n');
  github.setFile(sha(2), 'models/fraud.yaml', 'version: v2\n');
  github.setFile(sha(1), 'models/scorer.yaml', 'version: v0\n');
  github.setFile(sha(2), 'models/scorer.yaml', 'version: v1\n');
  github.setPullRequest(PR, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [
      { filename: 'models/fraud.yaml', status: 'modified' },
      { filename: 'models/scorer.yaml', status: 'modified' },
    ],
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await platform?.close();
  await sandbox?.close();
  await github?.close();
});

const step = (script: 'index.js' | 'post.js', state?: Record<string, string>) =>
  runStep(script, {
    workspace,
    eventName: 'pull_request',
    event: pullRequestEvent('opened', shas, { number: PR }),
    env: { SANDBOX_URL: sandbox.url, PLATFORM_URL: platform.url, GITHUB_API_URL: github.url },
    inputs: { 'github-token': 'ghs_fake_token' },
    ...(state ? { state } : {}),
    fromSource: true,
    onSpawn: (kill) => {
      cancel = () => kill('SIGINT');
    },
  });

const comment = () =>
  github.comments(PR).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';

describe('a PR job over two models, cancelled mid-analysis', () => {
  it("the post step's comment still says scorer v1 is already the stable version", async () => {
    const main = await step('index.js');
    expect(main.signal).toBe('SIGINT');
    const post = await step('post.js', main.state);
    expect([post.code, post.stdout.match(/^::error::.*$/m)]).toEqual([0, null]);
    expect((await requestJson('GET', `${sandbox.url}/admin/models/fraud-detector/traffic`)).body).toEqual({
      stable: { version: 'v1' },
    });
    expect(comment()).toContain('v2 withdrawn by the post step');
    expect(comment()).toContain('v1 is already the stable version');
  }, 60_000);
});
