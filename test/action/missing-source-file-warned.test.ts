import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A mistyped source.file (models/fraud/nope.yaml for models/fraud.yaml) leaves its model ungated:
// no PR ever changes a version there. The CLI's validate and plan warn of it; the action said
// only "Nothing to release" and passed, green. It warns in the CLI's words: an annotation, and a
// line in the report. A checkout that has the version file costs no GitHub request for this.
// Main step from src/, against the GitHub stand-in (PR #21: README.md only, sha(1) to sha(2)).
const TYPO = FRAUD_ON_SANDBOX.replace('file: models/fraud.yaml', 'file: models/fraud/nope.yaml');
const CONTENTS = /\/contents\//;

let github: FakeGitHub;
let sandbox: Sandbox;
let checkout: string;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  for (const n of [1, 2]) github.setFile(sha(n), 'models/fraud.yaml', 'version: v1\n');
  github.setPullRequest(21, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: 'README.md', status: 'modified' }],
  });
  // The workflow's checkout, with the version file the config names.
  checkout = await mkdtemp(join(tmpdir(), 'model-gate-checkout-'));
  await mkdir(join(checkout, 'models'));
  await writeFile(join(checkout, 'models', 'fraud.yaml'), 'version: v1\n');
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
  await sandbox?.close();
  await rm(checkout, { recursive: true, force: true });
});

/** The main step on PR #21 (opened) with `config`, in the checkout when given; `inputs` beside the ledger. */
function step(config: string, inputs: Record<string, string> = {}, workspace?: string) {
  github.resetRequests();
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 21 }),
    inputs: { ledger: 'github', ...inputs },
    config,
    githubUrl: github.url,
    env: {
      SANDBOX_URL: sandbox.url,
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
      ...(workspace ? { GITHUB_WORKSPACE: workspace } : {}),
    },
  });
}

/** The CLI's warning (sourceFileWarnings), after the config's path as the action's `config` input names it. */
const NEITHER =
  /^::warning::(\S+model-gate\.yml): models\.fraud-detector\.source\.file: "models\/fraud\/nope\.yaml" is in neither the base \(aaaaaaa\) nor the head \(aaaaaaa\): no version change of fraud-detector is gated until the path is fixed or the file added$/m;

describe('a source.file that is in neither the base nor the head', () => {
  it('a PR run: nothing to release, with the CLI warning as an annotation and in the report', async () => {
    const run = await step(TYPO);
    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('skipped');
    const annotation = NEITHER.exec(run.log);
    expect(annotation).not.toBeNull();
    const words = annotation?.[0].replace('::warning::', '') ?? '';
    expect(run.log).toContain(`\n  ${words}\n`);
    expect(run.report).toContain('models.fraud-detector.source.file');
    expect(run.report).toContain('is in neither the base (aaaaaaa) nor the head (aaaaaaa)');
    expect(run.report).toContain('no version change of fraud-detector is gated until the path is fixed');
  });

  it('command: plan: the same annotation, and the plan report says it', async () => {
    const run = await step(TYPO, { command: 'plan' });
    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('skipped');
    expect(run.log).toMatch(NEITHER);
    expect(run.report).toContain('No model to release for PR #21');
    expect(run.report).toContain('is in neither the base (aaaaaaa) nor the head (aaaaaaa)');
  });

  it('a version file the checkout has: no warning, and no GitHub request to look for it', async () => {
    for (const inputs of [{}, { command: 'plan' }] as Record<string, string>[]) {
      const run = await step(FRAUD_ON_SANDBOX, inputs, checkout);
      expect(run.outputs.decision).toBe('skipped');
      expect(run.log).not.toContain('::warning::');
      expect(github.requestCount('GET', CONTENTS)).toBe(0);
    }
  });

  it('a checkout without it, GitHub with it: no warning, one read of it at the head', async () => {
    const run = await step(FRAUD_ON_SANDBOX);
    expect(run.log).not.toContain('::warning::');
    expect(github.requests.filter((r) => CONTENTS.test(r.path)).map((r) => r.query.ref)).toEqual([sha(2)]);
  });
});
