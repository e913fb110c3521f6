import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  FRAUD_ON_SANDBOX,
  fraudHistory,
  fraudPromotedTwice,
  fraudServing,
  runMainStep,
  startFraudWorld,
} from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// Two "Run workflow" clicks with command: rollback and no to-version (a double click, or two on-call
// engineers answering the same alert): each dispatch run has its own concurrency group, so the second
// starts seconds after the first recorded its rollback. It used to take the previous stable from
// there, v3 -> v2 -> v1, both logging a normal "now serves"; now the second changes nothing and says
// why, headed "Rollback of fraud-detector: nothing changed" (once "Nothing to release", as a PR touching
// no model). Main step from src/, the sandbox serving fraud-detector v3, the GitHub stand-in as the ledger,
// on which PRs #2 and #3 promoted v2, then v3.
const MODEL = 'fraud-detector';

let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v3'));
  await fraudPromotedTwice(github);
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

let runId = 7000;
const rollback = (more: Record<string, string> = {}) => {
  const inputs = { command: 'rollback', model: MODEL, ...more };
  return runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(inputs),
    inputs: { ledger: 'github', ...inputs },
    config: FRAUD_ON_SANDBOX,
    githubUrl: github.url,
    env: {
      SANDBOX_URL: sandbox.url,
      GITHUB_SHA: sha(1),
      GITHUB_RUN_ID: String(++runId),
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
    },
  });
};

const history = () => fraudHistory(github);

describe('a second dispatch rollback without to-version seconds after the first', () => {
  it('changes nothing and says why; to-version still goes further back', async () => {
    const first = await rollback();
    expect([first.error, first.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });

    const second = await rollback();
    expect(second.error).toBeUndefined();
    expect(second.outputs.decision).toBe('skipped');
    expect(second.log).toMatch(
      /fraud-detector: v3 was rolled back to v2 by [^;]*workflow_dispatch \d+s ago; nothing changed: a rollback without to-version within 10m of another goes no further back \(a second click, or a second engineer on the same incident\); set to-version to go further back/,
    );
    expect(second.log).not.toContain('now serves v1');
    // Headed as the rollback it was, not as a run with "nothing to release".
    expect(second.log).toContain('model-gate: ℹ️ Rollback of fraud-detector: nothing changed\n');
    expect(second.report).toMatch(/^## model-gate: ℹ️ Rollback of fraud-detector: nothing changed\n/);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
    expect(await history()).toEqual(['promotion v1->v2', 'promotion v2->v3', 'rollback v3->v2']);

    // The operator who means to go further back names the version.
    const further = await rollback({ 'to-version': 'v1' });
    expect([further.error, further.outputs.decision]).toEqual([undefined, 'rolled-back']);
    expect(further.log).toMatch(
      /fraud-detector now serves v1 \(was v2\): rolled back by [^\n]*workflow_dispatch/,
    );
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(await history()).toEqual([
      'promotion v1->v2',
      'promotion v2->v3',
      'rollback v3->v2',
      'rollback v2->v1',
    ]);
  });

  it('a rollback to the version that serves changes nothing, headed as a rollback', async () => {
    // Whichever version the test before left serving.
    const { stable } = (await fraudServing(sandbox)) as { stable: { version: string } };
    const again = await rollback({ 'to-version': stable.version });
    expect([again.error, again.outputs.decision]).toEqual([undefined, 'skipped']);
    expect(again.log).toContain(
      `model-gate: ℹ️ Rollback of fraud-detector: nothing changed\n  fraud-detector: ${stable.version} already serves: nothing to roll back, nothing changed\n`,
    );
    expect(again.report).toMatch(/^## model-gate: ℹ️ Rollback of fraud-detector: nothing changed\n/);
    expect(again.log + again.report).not.toContain('Nothing to release');
    expect(await fraudServing(sandbox)).toEqual({ stable });
  });
});
