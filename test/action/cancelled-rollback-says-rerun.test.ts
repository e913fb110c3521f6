import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  fraudHistory,
  fraudPromotedTwice,
  fraudServing,
  runMainStep,
  startFraudWorld,
} from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { workflowDispatchEvent } from '../support/payloads.js';
import {
  fraudBehindPassThrough,
  type PlatformHook,
  platformPassThrough,
  workspaceWith,
} from '../support/platform-pass-through.js';

// A workflow_dispatch rollback cancelled (SIGTERM) after the platform switched back to v2, before
// the ledger recorded it. Its error used to say "the post step withdraws the candidate": no state
// is saved off a PR, the post step does nothing, and the Deployments still show v3 promoted. Now it
// says the rollback may have landed unrecorded and that a re-run with the same inputs records it,
// which the re-run does. The rollback is the main step from src/ as its own process; the platform
// a real sandbox behind a pass-through; the ledger the GitHub stand-in (PRs #2, #3 promoted v2, v3).
const MODEL = 'fraud-detector';
const CONFIG = fraudBehindPassThrough('models/fraud.yaml', '{ type: canary, steps: [10, 50] }');
const inputs = { command: 'rollback', model: MODEL };

let sandbox: Sandbox;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let workspace: string;
let hook: PlatformHook | undefined;

beforeEach(async () => {
  ({ sandbox, github } = await startFraudWorld('v3'));
  hook = undefined;
  platform = await platformPassThrough(sandbox.url, (request, forward) =>
    hook ? hook(request, forward) : forward(),
  );
  workspace = await workspaceWith(CONFIG, 'model-gate-cancelled-rollback-');
  await fraudPromotedTwice(github);
});

afterEach(async () => {
  await platform?.close();
  await sandbox?.close();
  await github?.close();
});

const env = () => ({ SANDBOX_URL: sandbox.url, PLATFORM_URL: platform.url, GITHUB_SHA: sha(1) });

describe('a dispatch rollback cancelled after its traffic change', () => {
  it('says the rollback may be unrecorded and to re-run it, not that a post step withdraws a candidate', async () => {
    let kill: (s: NodeJS.Signals) => void = () => {};
    let changed = false;
    hook = async ({ method }, forward) => {
      if (method === 'PUT') changed = true;
      // The read-back of the change: the job is cancelled.
      if (changed && method !== 'PUT') kill('SIGTERM');
      return forward();
    };
    const cancelled = await runStep('index.js', {
      workspace,
      eventName: 'workflow_dispatch',
      event: workflowDispatchEvent(inputs),
      env: { ...env(), GITHUB_API_URL: github.url, GITHUB_RUN_ID: '5101' },
      inputs: { 'github-token': 'ghs_fake_token', ledger: 'github', ...inputs },
      fromSource: true,
      onSpawn: (k) => {
        kill = k;
      },
    });
    hook = undefined;
    expect(cancelled.signal).toBe('SIGTERM');
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
    expect(await fraudHistory(github)).toEqual(['promotion v1->v2', 'promotion v2->v3']);
    expect(cancelled.stdout).toContain(
      '::error::model-gate stopped on SIGTERM (the job was cancelled or ran out of time): the rollback may have reached the platform unrecorded: re-run this workflow with the same inputs to check and record it',
    );
    expect(cancelled.stdout).not.toContain('post step');
    // The steps after it (if: always()) read the cancel; the job summary says what to do.
    expect(cancelled.outputs.decision).toBe('cancelled');
    expect(cancelled.summary).toContain('re-run this workflow with the same inputs to check and record it');

    // What the message asks for: the re-run records the rollback that landed.
    const rerun = await runMainStep({
      eventName: 'workflow_dispatch',
      event: workflowDispatchEvent(inputs),
      inputs: { ledger: 'github', ...inputs },
      config: CONFIG,
      githubUrl: github.url,
      env: { ...env(), GITHUB_RUN_ID: '5101', GITHUB_RUN_ATTEMPT: '2' },
    });
    expect([rerun.error, rerun.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(await fraudHistory(github)).toEqual(['promotion v1->v2', 'promotion v2->v3', 'rollback v3->v2']);
  }, 60_000);
});
