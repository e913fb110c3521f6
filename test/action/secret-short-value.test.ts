import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFraudWorld } from '../support/main-step.js';
import { type CheckService, startCheckService } from '../support/standins/webhook-check.js';
import { MODEL, runOnPullRequest, sentToGitHub } from './secret-world.js';

// A secret two characters long (a tenant id `10` in a key-named header) is no credential: masked,
// it turned every `10` the run wrote into *** ("canary ***%" for the 10% step). Values under four
// characters are not masked, in the log or in what model-gate writes, and a warning names the
// variable (never its value) so the user knows why it shows.
const CONFIG = `version: 1
models:
  ${MODEL}:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
      - { name: approval, kind: webhook, url: "\${CHECK_URL}", headers: { X-Tenant-Key: "\${TENANT_KEY}" } }
`;

let sandbox: Sandbox;
let github: FakeGitHub;
let check: CheckService;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  check = await startCheckService();
});

afterAll(async () => {
  await check?.close();
  await sandbox?.close();
  await github?.close();
});

describe('a secret-named variable too short to be a credential', () => {
  it('is not masked: the 10% step reads 10% in the log, the PR comment and the ledger, with one warning naming it', async () => {
    const run = await runOnPullRequest(
      github,
      3,
      CONFIG,
      { SANDBOX_URL: sandbox.url, CHECK_URL: check.url, TENANT_KEY: '10' },
      { mode: 'tick' },
    );
    expect(run.code).toBe(0);
    const progress = 'analysing step 1 of 2 (10% of live traffic)';
    const shown = run.log.split('\n').filter((line) => !line.startsWith('::add-mask::'));
    expect(shown).toContain(`${MODEL}: ${progress}`);
    expect(run.comment).toContain(progress);
    expect(run.comment).toContain('| step 1 of 2 | 10% |');
    expect(sentToGitHub(github)).toContain(progress);
    for (const text of [shown.join('\n'), run.comment, sentToGitHub(github)])
      expect(text).not.toContain('***');
    const warnings = shown.filter((line) => line.startsWith('::warning::'));
    expect(warnings).toEqual([
      "::warning::TENANT_KEY (in models.fraud-detector.gates[1].headers.X-Tenant-Key) is not masked: its value is shorter than 4 characters, too short to be a credential, and masking it would hide that text everywhere in the log, the PR comment and the ledger; if it is a secret, make it longer (the runner still masks a GitHub secret's value in the log)",
    ]);
  });
});
