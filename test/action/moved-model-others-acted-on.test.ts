import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// One PR changes two models, fraud-detector (its candidate on sandbox A) and churn (on sandbox C).
// The config then moves fraud-detector to sandbox B, or drops it. A run that cannot act on fraud's
// candidate must still act on churn's: before, a close checked every model first and stopped at
// fraud, so churn's candidate kept its 10% for good while the run said nothing of it. Main step from
// src/, three real sandboxes, the GitHub stand-in as the ledger; each run makes one pass.
const FRAUD = 'models/fraud.yaml';
const CHURN = 'models/churn.yaml';
const MODEL = 'fraud-detector';

/**
 * fraud-detector on the sandbox at `fraudUrl` (none: not in the config), churn on `churnUrl`, whose
 * sandbox serves (and counts) it under fraud-detector's name.
 */
const config = (fraudUrl: string | undefined, churnUrl: string) => `version: 1
defaults:
  strategy: { type: canary, steps: [10, 50], interval: 250ms }
models:
${
  fraudUrl === undefined
    ? ''
    : `  ${MODEL}:
    source: { file: ${FRAUD}, key: version }
    target: { type: sandbox, url: "${fraudUrl}" }
    metrics: { type: sandbox, url: "${fraudUrl}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`
}  churn:
    source: { file: ${CHURN}, key: version }
    target: { type: sandbox, url: "${churnUrl}", model: ${MODEL} }
    metrics: { type: sandbox, url: "${churnUrl}", model: ${MODEL} }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

let github: FakeGitHub;
let a: Sandbox;
let b: Sandbox;
let c: Sandbox;

beforeEach(async () => {
  const serving = { modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] };
  [a, b, c, github] = await Promise.all([
    startSandbox(serving),
    startSandbox(serving),
    startSandbox(serving),
    startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' }),
  ]);
  for (const n of [1, 2, 3]) {
    github.setFile(sha(n), FRAUD, `version: v${n}\n`);
    github.setFile(sha(n), CHURN, `version: v${n}\n`);
  }
});

afterEach(async () => {
  expect(github.violations).toEqual([]);
  await Promise.all([a.close(), b.close(), c.close(), github.close()]);
});

const serving = async (s: Sandbox) =>
  (await requestJson('GET', `${s.url}/admin/models/${MODEL}/traffic`)).body;
const atTenPercent = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const stableOnly = { stable: { version: 'v1' } };

/** The main step on PR 8's event under `configText` (`model`: a matrix job's model input). */
function onPr(
  action: 'opened' | 'synchronize' | 'closed',
  configText: string,
  opts: { merged?: boolean; model?: string; head?: number } = {},
) {
  const head = sha(opts.head ?? 2);
  github.setPullRequest(8, {
    baseSha: sha(1),
    headSha: head,
    files: [
      { filename: FRAUD, status: 'modified' },
      { filename: CHURN, status: 'modified' },
    ],
  });
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, { base: sha(1), head }, { number: 8, merged: opts.merged ?? false }),
    inputs: { ledger: 'github', mode: 'tick', ...(opts.model ? { model: opts.model } : {}) },
    config: configText,
    githubUrl: github.url,
    env: { MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.01' },
  });
}

async function bothAtTenPercent() {
  const opened = await onPr('opened', config(a.url, c.url));
  expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);
  expect(await serving(a)).toEqual(atTenPercent);
  expect(await serving(c)).toEqual(atTenPercent);
}

describe("a run that cannot act on one model's candidate", () => {
  it("closing the PR after fraud moved to B withdraws churn's candidate, leaves fraud's on A, then fails naming fraud", async () => {
    await bothAtTenPercent();

    const closed = await onPr('closed', config(b.url, c.url));
    expect(await serving(c)).toEqual(stableOnly);
    expect(await serving(a)).toEqual(atTenPercent);
    expect(await serving(b)).toEqual(stableOnly);
    expect(closed.error).toContain(
      `${MODEL}: PR #8's candidate v2 was deployed on sandbox ${MODEL} at ${a.url}`,
    );
    expect(closed.error).toContain(
      `run command: abort (model-gate run abort) for ${MODEL} under this config`,
    );
    expect(closed.error).not.toContain('churn');
    // churn's end is on record where the next run reads it: its comment says it was withdrawn.
    expect(github.comments(8).at(-1)?.body).toContain(
      'churn v2 was withdrawn: the PR was closed without merging',
    );
  });

  it("a push after fraud moved to B supersedes churn's candidate with the new head's, leaves fraud's on A, then fails naming fraud", async () => {
    await bothAtTenPercent();

    const pushed = await onPr('synchronize', config(b.url, c.url), { head: 3 });
    expect(await serving(c)).toEqual({ stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } });
    expect(await serving(a)).toEqual(atTenPercent);
    expect(await serving(b)).toEqual(stableOnly);
    expect(pushed.error).toContain(
      `${MODEL}: PR #8's candidate v2 was deployed on sandbox ${MODEL} at ${a.url}`,
    );
    expect(pushed.error).not.toContain('churn');
  });

  it('a merge after fraud moved to B ends churn unpromoted (require-pass) and withdraws it, then fails naming fraud', async () => {
    await bothAtTenPercent();

    const merged = await onPr('closed', config(b.url, c.url), { merged: true });
    expect(await serving(c)).toEqual(stableOnly);
    expect(await serving(a)).toEqual(atTenPercent);
    expect(merged.error).toContain(
      `${MODEL}: PR #8's candidate v2 was deployed on sandbox ${MODEL} at ${a.url}`,
    );
    expect(github.comments(8).at(-1)?.body).toContain(
      'churn v2 was withdrawn: merged before the analysis passed',
    );
  });

  it("a matrix job for churn closing the PR checks churn alone: fraud's removal from the config is not its failure", async () => {
    await bothAtTenPercent();

    const closed = await onPr('closed', config(undefined, c.url), { model: 'churn' });
    expect([closed.error, closed.outputs.decision]).toEqual([undefined, 'aborted']);
    expect(await serving(c)).toEqual(stableOnly);
    // fraud-detector's own job (or a tick) fails on it, naming it; this one leaves it alone.
    expect(await serving(a)).toEqual(atTenPercent);
  });
});
