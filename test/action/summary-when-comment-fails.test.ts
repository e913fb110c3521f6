import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployments, environmentOf } from '../../src/github/deployments.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// The job summary is a local file the runner uploads: GitHub refusing the run's last PR comment
// must not take it away. A workflow_dispatch rollback of fraud-detector v2, which PR #2 promoted:
// its one comment write is the note on PR #2, and the token may not write comments.
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v2'));
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v2\n');
  github.setPullRequest(2, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
  });
  // PR #2's merge job recorded the promotion, as model-gate records one.
  const deployments = new Deployments(getOctokit('ghs_x', { baseUrl: github.url }), repo, sha(2));
  await deployments.record({
    model: 'fraud-detector',
    kind: 'promotion',
    version: 'v2',
    previous: 'v1',
    at: 1_000,
    pr: 2,
    summary: 'v2 passed every gate',
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

describe('the final PR comment write fails', () => {
  it('a rollback: the summary and report-path still carry the report and say the comment was not updated; the step fails naming GitHub', async () => {
    const summary = join(await mkdtemp(join(tmpdir(), 'model-gate-summary-')), 'summary.md');
    await writeFile(summary, '');
    github.failNext(
      'POST',
      '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      403,
      1,
      {},
      {
        message: 'Resource not accessible by integration',
      },
    );
    const inputs = { command: 'rollback', model: 'fraud-detector', 'to-version': 'v1', ledger: 'github' };
    const run = await runMainStep({
      eventName: 'workflow_dispatch',
      event: workflowDispatchEvent(inputs),
      inputs,
      config: FRAUD_ON_SANDBOX,
      githubUrl: github.url,
      env: {
        SANDBOX_URL: sandbox.url,
        GITHUB_SHA: sha(1),
        GITHUB_STEP_SUMMARY: summary,
        MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
      },
    });

    // The rollback took effect and is recorded; only the note on PR #2 is missing.
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(github.deployments(environmentOf('fraud-detector')).map((d) => d.payload)).toMatchObject([
      { kind: 'promotion', version: 'v2' },
      { kind: 'rollback', version: 'v1', previous: 'v2' },
    ]);
    expect(github.comments(2)).toEqual([]);

    // The step fails as before, once, naming GitHub's answer after the rollback that took.
    expect(run.exitCode).toBe(1);
    expect(run.error).toMatch(
      /^fraud-detector now serves v1: the rollback from v2 took and is recorded; only the note on PR #2 failed: GitHub answered 403 to POST .*\/issues\/2\/comments: Resource not accessible by integration \(the token lacks pull-requests: write: add it to the workflow's permissions\); no re-run is needed; the job summary has the run's report$/,
    );
    expect(run.log.match(/^::error::/gm)).toHaveLength(1);
    expect(run.outputs.decision).toBe('rolled-back');

    // The job summary and the report file: the decision, then one line on the comment.
    const written = await readFile(summary, 'utf8');
    expect(written).toMatch(/^## model-gate: ↩️ Rolled back by command\n/);
    expect(written).toContain('fraud-detector now serves v1 (was v2)');
    const said = written.split('\n').filter((line) => line.includes('PR comment could not be updated'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /GitHub answered 403 to POST .*\/issues\/2\/comments: Resource not accessible by integration/,
    );
    expect(run.outputs['report-path']).toMatch(/model-gate-report\.md$/);
    expect(run.report).toBe(written);
    expect(run.outputs['comment-url']).toBeUndefined();
  });
});
