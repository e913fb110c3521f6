import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { startFraudCopiesSandbox } from '../support/fraud-copies-sandbox.js';
import { fraudCanaryConfig, runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// PR #50 moves fraud-detector to v4 and churn to v2, both at 50%, in one sticky comment. During an
// incident `command: abort, model: fraud-detector` runs in a job without churn's secret: churn is
// left out of the config (load.ts `only`), yet the abort rewrites the comment, churn's section
// too. Without churn's config its gates must not read as another kind with no bound, and the
// comment must say churn has no config this run. Main step from src/, the sandbox,
// the GitHub stand-in as the ledger.
let sandbox: Sandbox;
let github: FakeGitHub;

/** churn on the sandbox at a URL only churn's own job sets (CHURN_URL). */
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [50] }',
  `  churn:
    source: { file: models/churn.yaml, key: version }
    target: { type: sandbox, url: "\${CHURN_URL}" }
    metrics: { type: sandbox, url: "\${CHURN_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`,
);
const SHAS = { base: sha(500), head: sha(501) };

const step = (eventName: string, event: unknown, inputs: Record<string, string>, env = {}) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, GITHUB_SHA: sha(1), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05', ...env },
  });

const serving = async (model: string) =>
  (await requestJson('GET', `${sandbox.url}/admin/models/${model}/traffic`)).body;

/** The visible part of PR #50's one comment, from `### model` to the next model's heading. */
function section(model: string): string {
  const comments = github.comments(50);
  expect(comments).toHaveLength(1);
  const body = comments[0]?.body ?? '';
  const from = body.indexOf(`### ${model}:`);
  expect(from).toBeGreaterThan(-1);
  const to = body.indexOf('\n### ', from + 1);
  return body.slice(from, to < 0 ? undefined : to);
}

const comment = () => github.comments(50)[0]?.body ?? '';

beforeAll(async () => {
  sandbox = await startFraudCopiesSandbox(['fraud-detector', 'churn']);
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  for (const at of [sha(1), SHAS.base]) {
    github.setFile(at, 'models/fraud.yaml', 'version: v1\n');
    github.setFile(at, 'models/churn.yaml', 'version: v1\n');
  }
  github.setFile(SHAS.head, 'models/fraud.yaml', 'version: v4\n');
  github.setFile(SHAS.head, 'models/churn.yaml', 'version: v2\n');
  github.setPullRequest(50, {
    baseSha: SHAS.base,
    headSha: SHAS.head,
    files: [
      { filename: 'models/fraud.yaml', status: 'modified' },
      { filename: 'models/churn.yaml', status: 'modified' },
    ],
  });
});

afterAll(async () => {
  expect(github.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

it("an abort of fraud-detector while churn's config is broken says so in churn's section of the comment", async () => {
  const opened = await step(
    'pull_request',
    pullRequestEvent('opened', SHAS, { number: 50 }),
    { mode: 'tick' },
    {
      CHURN_URL: sandbox.url,
    },
  );
  expect(opened.outputs.decision).toBe('analysing');
  expect(section('churn')).toContain('| errors (error-rate) | – | – | ≤ 5.00% | ⏳ pending |');

  const inputs = { command: 'abort', model: 'fraud-detector' };
  const abort = await step('workflow_dispatch', workflowDispatchEvent(inputs), inputs);
  expect(abort.outputs.decision).toBe('aborted');
  expect(await serving('fraud-detector')).toEqual({ stable: { version: 'v1' } });
  expect(await serving('churn')).toMatchObject({ canary: { version: 'v2', weight: 50 } });

  // churn's release is kept as it was; its gate no longer reads as an offline gate with no bound.
  const churn = section('churn');
  expect(churn).toContain('### churn: v1 → v2 (analysing)');
  expect(churn).not.toContain('(offline)');
  expect(churn).toContain('| errors (no config this run) | – | – |  | ⏳ pending |');
  expect(churn).toContain('ℹ️ churn has no config this run: its gates show without what they measure');
  expect(section('fraud-detector')).toContain('| errors (error-rate) | – | – | ≤ 5.00% |');

  // churn's next run, with its secret, reads its config: the table and the comment are whole again.
  const tick = await step(
    'schedule',
    { schedule: '*/5 * * * *' },
    { command: 'tick', model: 'churn' },
    {
      CHURN_URL: sandbox.url,
    },
  );
  expect(tick.error).toBeUndefined();
  expect(section('churn')).toContain('| errors (error-rate) |');
  expect(section('churn')).toContain('≤ 5.00%');
  expect(comment()).not.toContain('no config this run');
  expect(comment()).not.toContain('config not read this run');
}, 60_000);
