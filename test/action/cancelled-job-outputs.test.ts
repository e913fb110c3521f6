import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import {
  fraudBehindPassThrough,
  platformPassThrough,
  workspaceWith,
} from '../support/platform-pass-through.js';
import { openFraudPr } from './secret-world.js';

// A PR's job cancelled mid-analysis (the runner's SIGTERM once v2 gets 10% of live traffic): the
// main step set only observations-path, though `decision` is "set by every run that ends" and the
// workflow's `if: always()` steps run after a cancel, and it left no job summary. Now, as it ends of
// the signal, it sets decision `cancelled`, models (the release in flight), report-path, and a job
// summary saying the post step withdraws the candidate. The step runs from src/ as its own process.
const PR = 41;
const CONFIG = fraudBehindPassThrough(
  'models/fraud.yaml',
  '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1000000, interval: 1s }',
);

let world: { sandbox: Sandbox; github: FakeGitHub };
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let workspace: string;
/** Cancels the main step: set once it runs. */
let cancel: () => void = () => {};

beforeAll(async () => {
  world = await startFraudWorld('v1');
  // The job is cancelled once the platform gives v2 its first live traffic.
  platform = await platformPassThrough(world.sandbox.url, async ({ method, body }, forward) => {
    const answer = await forward();
    if (method === 'PUT' && (body as { canary?: unknown } | undefined)?.canary) cancel();
    return answer;
  });
  workspace = await workspaceWith(CONFIG, 'model-gate-cancelled-outputs-');
  openFraudPr(world.github, PR, sha(1), sha(2));
});

afterAll(async () => {
  await platform?.close();
  await world?.sandbox.close();
  await world?.github.close();
});

describe('a PR job cancelled mid-analysis', () => {
  it('sets decision cancelled, models, report-path and a job summary before the step ends', async () => {
    const main = await runStep('index.js', {
      workspace,
      eventName: 'pull_request',
      event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: PR }),
      env: { SANDBOX_URL: world.sandbox.url, PLATFORM_URL: platform.url, GITHUB_API_URL: world.github.url },
      inputs: { 'github-token': 'ghs_fake_token' },
      fromSource: true,
      onSpawn: (kill) => {
        cancel = () => kill('SIGTERM');
      },
    });
    // Still ended of the signal: the step fails, as a cancelled step does.
    expect(main.signal).toBe('SIGTERM');
    expect(main.outputs.decision).toBe('cancelled');
    expect(JSON.parse(main.outputs.models ?? '')).toMatchObject([
      { model: 'fraud-detector', from: 'v1', to: 'v2', status: 'analysing' },
    ]);
    expect(main.outputs['observations-path']).toMatch(/model-gate\/observations$/);
    const said =
      'model-gate stopped on SIGTERM (the job was cancelled or ran out of time): the post step withdraws the candidate';
    expect(main.stdout).toContain(`::error::${said}`);
    expect(main.summary).toContain('## model-gate: ⏹️ Cancelled');
    expect(main.summary).toContain(said);
    expect(main.summary).toContain('- fraud-detector: v1 → v2, analysing');
    expect(await readFile(main.outputs['report-path'] ?? '', 'utf8')).toBe(main.summary);
  }, 60_000);
});
