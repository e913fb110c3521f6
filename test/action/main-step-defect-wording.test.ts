import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The main step failing on a defect (an error of no class model-gate knows: a bug) says so in the
// engine's one wording, "model-gate stopped on an unexpected error: …; please report it", one line;
// the stack trace goes to the debug log only. It used to fail with the raw stack trace as the
// step's error, and no word of reporting it. Main step from src/, against the GitHub stand-in and the
// sandbox; the defect, met by a schedule tick, is a metric source whose every query throws a plain Error.
const DEFECT = 'the series index ran past its end: a bug';
const defect = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/release/adapters.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/release/adapters.js')>();
  const fail = async (): Promise<never> => {
    throw new Error('the series index ran past its end: a bug');
  };
  const broken: MetricSource = { requests: fail, value: fail };
  return { ...real, metricsFor: (model: ModelConfig) => (defect.on ? broken : real.metricsFor(model)) };
});

const FILE = 'models/fraud.yaml';
let github: FakeGitHub;
let sandbox: Sandbox;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  github.setPullRequest(9, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

const step = (eventName: string, event: unknown, inputs: Record<string, string> = {}) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config: FRAUD_ON_SANDBOX,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });

describe('a main step that fails on a defect', () => {
  it('says so in one line to report, its stack trace in the debug log only', async () => {
    const shas = { base: sha(1), head: sha(2) };
    const opened = await step('pull_request', pullRequestEvent('opened', shas, { number: 9 }), {
      mode: 'tick',
    });
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);

    defect.on = true;
    const tick = await step('schedule', { schedule: '*/15 * * * *' });
    defect.on = false;
    expect(tick.exitCode).toBe(1);
    expect(tick.error).toBe(`model-gate stopped on an unexpected error: ${DEFECT}; please report it`);
    const debug = tick.log.split('\n').filter((line) => line.startsWith('::debug::'));
    expect(debug.join('\n')).toContain(`::debug::Error: ${DEFECT}`);
  });
});
