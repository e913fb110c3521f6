import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// A run that stops before any release (a bad config, a bad input) wrote an empty job summary and
// no report-path: the annotation alone said why. Now the summary and the report file say what the
// annotation says, and no more (no stack, secrets not shown). Main step from src/, on the sandbox
// serving fraud-detector v1 and the GitHub stand-in.
let sandbox: Sandbox;
let github: FakeGitHub;
/** The job summary's file: @actions/core keeps the first path it is given, so one for the file. */
let summaryFile: string;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  summaryFile = join(await mkdtemp(join(tmpdir(), 'model-gate-summary-')), 'summary.md');
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

async function step(
  eventName: string,
  event: unknown,
  inputs: Record<string, string>,
  config: string,
  env = {},
) {
  await writeFile(summaryFile, '');
  const run = await runMainStep({
    eventName,
    event,
    inputs,
    config,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, GITHUB_STEP_SUMMARY: summaryFile, ...env },
  });
  return { ...run, summary: await readFile(summaryFile, 'utf8') };
}

describe('a run that stops before any release: the job summary and report-path carry the error', () => {
  it('a pull request run on a bad config: one line a problem, a secret from the environment not shown', async () => {
    const secret = 'mg-secret-7f3a9c1e';
    const bad = FRAUD_ON_SANDBOX.replace('steps: [10, 50]', 'steps: [10, 150]').replace(
      'max: 0.02',
      `max: "\${GATE_MAX}"`,
    );
    const event = pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 3 });
    const run = await step('pull_request', event, {}, bad, { GATE_MAX: secret });
    expect(run.outputs.decision).toBe('error');
    expect(run.outputs['report-path']).toMatch(/model-gate-report\.md$/);
    expect(run.summary).toBe(run.report);
    const [heading, , ...body] = run.summary.split('\n');
    expect(heading).toBe('## model-gate: ❌ Stopped on an error');
    expect(body.filter((l) => l.startsWith('- '))).toEqual([
      expect.stringContaining('defaults.strategy.steps\\[1\\]: expected a number between 0 and 100, got 150'),
      expect.stringContaining('(value from the environment, not shown)'),
    ]);
    expect(run.summary).not.toContain(secret);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  });

  it('a rollback to a hostile to-version: the summary says which input and what to do', async () => {
    const inputs = { command: 'rollback', model: 'fraud-detector', 'to-version': '1.2; rm -rf /' };
    const run = await step('workflow_dispatch', workflowDispatchEvent(inputs), inputs, FRAUD_ON_SANDBOX, {
      GITHUB_SERVER_URL: 'https://github.com',
    });
    expect(run.error).toMatch(/^input to-version: "1\.2; rm -rf \/" is not a valid version /);
    expect(run.outputs['report-path']).toMatch(/model-gate-report\.md$/);
    expect(run.summary).toBe(run.report);
    expect(run.summary).toContain('input to-version: "1.2; rm -rf /" is not a valid version');
    expect(run.summary).toContain(
      "The run had reported no release when it stopped; [the run's log](https://github.com/Codertocat/Hello-World/actions/runs/4242) has what it did.",
    );
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  });
});
