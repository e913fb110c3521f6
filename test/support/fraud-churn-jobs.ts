import { afterAll, beforeAll, expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from './actions-runner.js';
import type { FakeGitHub } from './fake-github/server.js';
import { FRAUD_ON_SANDBOX, startFraudWorld, UNREACHABLE_CHURN } from './main-step.js';
import { sha } from './model-config.js';
import { pullRequestEvent } from './payloads.js';
import { workspaceWith } from './platform-pass-through.js';

// PR jobs of a workspace with two models, fraud-detector on the sandbox and churn on a target that
// cannot be reached (a job that moves churn stops before it claims or deploys anything of either
// model: unprepared-models.ts): each step runs from src/ as its own process, as the Actions runner
// starts it, against the GitHub stand-in. One sandbox and stand-in per file, started before its
// tests and stopped after them.

export const MODEL = 'fraud-detector';
export const FRAUD = 'models/fraud.yaml';
export const CHURN = 'models/churn.yaml';
export const BASE = sha(1);
/** GitHub's answer to a write the job's token has no permission for. */
export const READ_ONLY = { message: 'Resource not accessible by integration' };

/** The file's world (`sandbox`, `github`), PRs on it and their jobs' steps; `prefix` names its workspace. */
export function useFraudChurnJobs(prefix: string) {
  let sandbox: Sandbox;
  let github: FakeGitHub;
  let workspace: string;

  beforeAll(async () => {
    ({ sandbox, github } = await startFraudWorld('v1'));
    workspace = await workspaceWith(`${FRAUD_ON_SANDBOX}${UNREACHABLE_CHURN}`, prefix);
    github.setFile(BASE, FRAUD, 'version: v1\n');
    github.setFile(BASE, CHURN, 'version: c1\n');
  });

  afterAll(async () => {
    expect(github?.violations).toEqual([]);
    await sandbox?.close();
    await github?.close();
  });

  return {
    get sandbox() {
      return sandbox;
    },
    get github() {
      return github;
    },
    /** PR `number` at head sha(`head`): fraud-detector to `to`, and churn to c2 when `churn`. */
    pullRequest(number: number, head: number, to: string, churn = false) {
      github.setFile(sha(head), FRAUD, `version: ${to}\n`);
      github.setFile(sha(head), CHURN, `version: ${churn ? 'c2' : 'c1'}\n`);
      const files = [FRAUD, ...(churn ? [CHURN] : [])].map((filename) => ({
        filename,
        status: 'modified' as const,
      }));
      github.setPullRequest(number, { baseSha: BASE, headSha: sha(head), files });
      return pullRequestEvent('opened', { base: BASE, head: sha(head) }, { number });
    },
    /** A step of the job of `event` in run `runId`, one pass (tick mode). */
    step(script: 'index.js' | 'post.js', event: unknown, runId: number, state?: Record<string, string>) {
      return runStep(script, {
        workspace,
        eventName: 'pull_request',
        event,
        env: { SANDBOX_URL: sandbox.url, GITHUB_API_URL: github.url, GITHUB_RUN_ID: String(runId) },
        inputs: { 'github-token': 'ghs_fake_token', mode: 'tick' },
        ...(state ? { state } : {}),
        fromSource: true,
      });
    },
  };
}
