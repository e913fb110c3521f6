import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  fraudPrOnSandbox,
  fraudServing,
  runFraudPrPostStep,
  runMainStep,
  startFraudWorld,
} from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A PR's job cancelled mid-analysis, v2 on 10%: its post step meets a failure that is not GitHub's
// (the ledger's). It used to call each "could not read or write the ledger (…)", sending the user to
// GitHub: a config that names another target than the candidate's (and then "v2 has no live
// traffic", read on the target v2 never was on), or a token GitHub would not name. Now the step
// says what failed and what to do, and still takes v2 out where it can. Real sandboxes, the ledger
// the PR's comment on the GitHub stand-in, both steps from src/ in this process.
const MODEL = 'fraud-detector';
const shas = { base: sha(1), head: sha(2) };

let sandbox: Sandbox;
let github: FakeGitHub;
/** The sandbox a moved config names; the candidate stays on `sandbox`. */
let moved: Sandbox;
beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  moved = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  github.setFile(sha(1), 'fraud.yaml', 'version: v1\n');
  github.setFile(sha(2), 'fraud.yaml', 'version: v2\n');
  github.setPullRequest(7, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: 'fraud.yaml', status: 'modified' }],
  });
});
afterAll(async () => {
  await moved?.close();
  await sandbox?.close();
  await github?.close();
});

/** PR #7's job under the config on `sandbox`: one pass (reopened: its head analysed again), or the PR closed. */
const job = (action: 'opened' | 'reopened' | 'closed') =>
  runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(action, shas, { number: 7 }),
    inputs: { ledger: 'github', mode: 'tick' },
    config: fraudPrOnSandbox(sandbox.url),
    githubUrl: github.url,
    env: { MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
const postStep = (on: Sandbox) =>
  runFraudPrPostStep({ config: fraudPrOnSandbox(on.url), ledger: 'github', githubUrl: github.url });
const LIVE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };

// Closing the PR under the candidate's own config frees the canary slot, whatever a test left.
afterEach(() => job('closed'));

describe('the post step meeting a failure that is not the ledger', () => {
  it('a config naming another target: says the model was left alone and how to withdraw it, not a ledger failure', async () => {
    expect((await job('opened')).outputs.decision).toBe('analysing');
    expect(await fraudServing(sandbox)).toEqual(LIVE);

    const step = await postStep(moved);
    expect(step.error).toMatch(
      new RegExp(
        `^model-gate post step left ${MODEL} alone: ${MODEL}: PR #7's candidate v2 was deployed on sandbox`,
      ),
    );
    expect(step.error).toContain(
      'v2 may still get live traffic there. Withdraw it under a config that names',
    );
    expect(step.error).not.toContain('ledger');
    // Not read on a target v2 was never on, and nothing changed there.
    expect(step.error).not.toContain('has no live traffic');
    expect(await fraudServing(moved)).toEqual({ stable: { version: 'v1' } });
    expect(await fraudServing(sandbox)).toEqual(LIVE);
  });

  it('a token GitHub will not name: says so and what to do, and withdraws v2 on the platform', async () => {
    expect((await job('reopened')).outputs.decision).toBe('analysing');
    expect(await fraudServing(sandbox)).toEqual(LIVE);

    github.failNext('POST', '/graphql', 403, 5);
    const step = await postStep(sandbox);
    expect(step.error).toMatch(
      /^model-gate post step: model-gate could not learn who its github-token writes as/,
    );
    expect(step.error).toContain(
      `the candidates the main step saved, on the platform directly: ${MODEL}: v2 withdrawn on the platform`,
    );
    expect(step.error).not.toContain('could not read or write the ledger');
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  });
});
