import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runCli } from '../support/cli-process.js';
import { fraudCanaryConfig, fraudServing, runMainStep, useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// Only command: rollback reads to-version. `command: promote, to-version: v2` used to promote the
// ready release, another version, with no error; now the other workflow_dispatch commands refuse
// to-version before anything is read or changed, naming the input and what to do, and
// `model-gate run` refuses --to-version alike. Main step from src/, the sandbox (with live traffic) and the GitHub stand-in:
// PR #7 moves fraud-detector from v1 to v2 and is analysed to ready.
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);
const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 6 });
let traffic: TrafficGenerator;
beforeAll(() => {
  traffic = startTraffic({ url: world.sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
});
afterAll(() => traffic?.stop());

const dispatch = (more: Record<string, string>) => {
  const inputs = { model: 'fraud-detector', ...more };
  return runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(inputs),
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: world.github.url,
    // The commit a promotion's Deployment names: the merged head.
    env: { SANDBOX_URL: world.sandbox.url, GITHUB_SHA: sha(2), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
};
const promotions = () =>
  world.github.deployments('model-gate/fraud-detector').filter((d) => d.task === 'deploy');

describe('to-version with a command other than rollback', () => {
  it('is refused before anything changes: promote leaves the ready release and v1 serving', async () => {
    const pr = await world.step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      { 'max-wait': '2m' },
    );
    expect([pr.error, pr.outputs.decision]).toEqual([undefined, 'ready']);
    const before = await fraudServing(world.sandbox);

    const promote = await dispatch({ command: 'promote', 'to-version': 'v1' });
    expect([promote.exitCode, promote.outputs.decision]).toEqual([1, 'error']);
    expect(promote.error).toBe(
      'input to-version: only command: rollback reads it, and command is promote: remove to-version, or set command: rollback',
    );
    expect(await fraudServing(world.sandbox)).toEqual(before);
    expect(promotions()).toEqual([]);

    // An empty command is status on workflow_dispatch.
    for (const command of ['abort', 'status', '']) {
      const run = await dispatch({ command, 'to-version': 'v1' });
      expect(run.error).toBe(
        `input to-version: only command: rollback reads it, and command is ${command || 'status'}: remove to-version, or set command: rollback`,
      );
    }
    expect(await fraudServing(world.sandbox)).toEqual(before);

    // Without it, the promote does what it is for.
    const promoted = await dispatch({ command: 'promote' });
    expect([promoted.error, promoted.outputs.decision]).toEqual([undefined, 'promoted']);
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v2' } });
  }, 90_000);

  it('model-gate run refuses --to-version on any event but rollback, as a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-to-version-'));
    for (const event of ['promote', 'abort', 'status', 'tick']) {
      const run = await runCli(dir, ['run', event, '--to-version', 'v2']);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `model-gate run: --to-version applies only to rollback, not ${event}: drop it, or run rollback (usage: model-gate run <release|reopen|merge|close|tick|rollback|promote|abort|status> [options])\n`,
      );
    }
  });
});
