import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { cliRunConfig, repoAtV1 } from '../support/cli-run-world.js';
import { FRAUD_ON_SANDBOX, useFraudPrWorld } from '../support/main-step.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// command: abort with no release in flight was headed "ℹ️ Nothing to release", as a PR touching no
// model is: the run did not say it was an abort, nor that there was nothing to abort. Now both the
// action and `model-gate run abort` say so. Main step from src/ and the CLI as its own process, the
// real sandbox, the GitHub stand-in as the action's ledger.
const MODEL = 'fraud-detector';
const TITLE = `ℹ️ Abort of ${MODEL}: nothing to abort`;
const world = useFraudPrWorld({ pr: 4, config: FRAUD_ON_SANDBOX });

describe('an abort with nothing in flight', () => {
  it('the action: headed as an abort with nothing to abort', async () => {
    const run = await world.step('workflow_dispatch', workflowDispatchEvent({ command: 'abort' }), {
      command: 'abort',
      model: MODEL,
    });
    expect([run.error, run.outputs.decision]).toEqual([undefined, 'skipped']);
    expect(run.report).toMatch(new RegExp(`^## model-gate: ${TITLE}\\n`));
    expect(run.log).toContain(`model-gate: ${TITLE}\n  ${MODEL}: no release in flight to abort\n`);
    expect(run.log + run.report).not.toContain('Nothing to release');
  }, 30_000);

  it('model-gate run abort: the same heading', async () => {
    const repo = await repoAtV1(cliRunConfig());
    const run = await runCli(repo.dir, ['run', 'abort'], { SANDBOX_URL: world.sandbox.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`model-gate: ${TITLE}\n`);
    expect(run.stdout).not.toContain('Nothing to release');
  }, 60_000);
});
