import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  fraudCanaryConfig,
  fraudServing,
  runFraudPrPostStep,
  runMainStep,
  startFraudWorld,
} from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// An incident: fraud-detector v4 serves 50% of live traffic and someone runs `command: abort,
// model: fraud-detector`, while another model's config is broken for this job: churn's target
// URL comes from a secret only churn's job sets, or a gate bound is wrong. The command acts on
// fraud-detector alone, so churn's problems do not stop it: churn is warned of and left out. A
// pull_request run still fails on them. Main step from src/, the sandbox, the GitHub stand-in.
let sandbox: Sandbox;
let github: FakeGitHub;

/** churn, on the sandbox at `url`, its error-rate gate's bound `max`. */
const churn = (url: string, max: string) => `  churn:
    source: { file: models/churn.yaml, key: version }
    target: { type: sandbox, url: "${url}" }
    metrics: { type: sandbox, url: "${url}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: ${max} }
`;
const withChurn = (url: string, max: string) =>
  fraudCanaryConfig('{ type: canary, steps: [50] }', churn(url, max));
/** churn's target URL from a secret only churn's job sets (CHURN_URL). */
const CHURN_FROM_SECRET = withChurn(`\${CHURN_URL}`, '0.02');
const BROKEN = {
  'an unset variable': { config: CHURN_FROM_SECRET, field: 'models.churn.target.url' },
  'a wrong value': { config: withChurn(`\${SANDBOX_URL}`, '2'), field: 'models.churn.gates[0].max' },
};

const step = (eventName: string, event: unknown, inputs: Record<string, string>, config: string, env = {}) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, GITHUB_SHA: sha(1), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05', ...env },
  });

/** PR `number` moves fraud-detector from v1 to v4; one tick of its run (churn sound) puts v4 at 50%. */
async function v4InFlight(number: number, inputs: Record<string, string> = {}) {
  const shas = { base: sha(number * 10), head: sha(number * 10 + 1) };
  for (const at of [shas.base, shas.head]) github.setFile(at, 'models/churn.yaml', 'version: v1\n');
  github.setFile(shas.base, 'models/fraud.yaml', 'version: v1\n');
  github.setFile(shas.head, 'models/fraud.yaml', 'version: v4\n');
  github.setPullRequest(number, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
  });
  const event = pullRequestEvent('opened', shas, { number });
  const run = await step('pull_request', event, { mode: 'tick', ...inputs }, CHURN_FROM_SECRET, {
    CHURN_URL: sandbox.url,
  });
  expect(run.outputs.decision).toBe('analysing');
  expect(await fraudServing(sandbox)).toMatchObject({ canary: { version: 'v4', weight: 50 } });
  return shas;
}

/**
 * The post step of PR `number`'s matrix job for fraud-detector, after a main step that saved v4 as
 * maybe live (runFraudPrPostStep, with the `model` input): its log.
 */
const postStep = async (number: number, shas: { base: string; head: string }, config: string) =>
  (
    await runFraudPrPostStep({
      config,
      ledger: 'github',
      githubUrl: github.url,
      pr: { number, ...shas },
      candidate: 'v4',
      model: 'fraud-detector',
      env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
    })
  ).log;

const warnings = (log: string) => log.split('\n').filter((line) => line.startsWith('::warning'));

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v1\n');
  github.setFile(sha(1), 'models/churn.yaml', 'version: v1\n');
});

afterAll(async () => {
  expect(github.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

describe("another model's broken config does not stop a command naming fraud-detector", () => {
  for (const [[how, broken], pr] of Object.entries(BROKEN).map((b, i) => [b, 41 + i] as const)) {
    it(`abort withdraws v4 while churn has ${how}, and warns once that churn was ignored`, async () => {
      await v4InFlight(pr);
      const inputs = { command: 'abort', model: 'fraud-detector' };
      const run = await step('workflow_dispatch', workflowDispatchEvent(inputs), inputs, broken.config);
      expect(run.error).toBeUndefined();
      expect(run.outputs.decision).toBe('aborted');
      expect(JSON.parse(run.outputs.models ?? '')).toMatchObject([
        { model: 'fraud-detector', to: 'v4', status: 'aborted' },
      ]);
      expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
      const churnWarnings = warnings(run.log).filter((w) => w.includes('churn'));
      expect(churnWarnings).toHaveLength(1);
      expect(churnWarnings[0]).toContain('model churn ignored: this command acts on fraud-detector only');
      expect(churnWarnings[0]).toContain(broken.field);
    });
  }

  it("a matrix job's post step withdraws fraud-detector's v4 while churn is broken", async () => {
    const shas = await v4InFlight(45, { model: 'fraud-detector' });
    const log = await postStep(45, shas, BROKEN['a wrong value'].config);
    expect(log).not.toContain('::error::');
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(warnings(log).filter((w) => w.includes('model churn ignored'))).toHaveLength(1);
  });

  it('status of fraud-detector reports while churn is broken', async () => {
    const inputs = { command: 'status', model: 'fraud-detector' };
    const run = await step('workflow_dispatch', workflowDispatchEvent(inputs), inputs, CHURN_FROM_SECRET);
    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('skipped');
    expect(run.log).toContain('fraud-detector serves v1');
  });

  it('a command naming no model still fails on churn, and says naming the model runs it', async () => {
    const inputs = { command: 'status' };
    const run = await step('workflow_dispatch', workflowDispatchEvent(inputs), inputs, CHURN_FROM_SECRET);
    expect(run.outputs.decision).toBe('error');
    expect(run.error).toContain('models.churn.target.url: environment variable CHURN_URL is not set');
    expect(run.error).toContain('`model: fraud-detector`');
  });
});

describe('a pull_request run still fails on a broken model', () => {
  for (const [how, broken] of Object.entries(BROKEN)) {
    it(`churn with ${how}: the run errors naming the field and deploys nothing`, async () => {
      const shas = { base: sha(60), head: sha(61) };
      github.setFile(shas.base, 'models/fraud.yaml', 'version: v1\n');
      github.setFile(shas.head, 'models/fraud.yaml', 'version: v4\n');
      github.setPullRequest(60, {
        baseSha: shas.base,
        headSha: shas.head,
        files: [{ filename: 'models/fraud.yaml', status: 'modified' }],
      });
      const event = pullRequestEvent('opened', shas, { number: 60 });
      const before = await fraudServing(sandbox);
      const run = await step('pull_request', event, { mode: 'tick', model: 'fraud-detector' }, broken.config);
      expect(run.outputs.decision).toBe('error');
      expect(run.error).toContain(broken.field);
      expect(await fraudServing(sandbox)).toEqual(before);
    });
  }
});
