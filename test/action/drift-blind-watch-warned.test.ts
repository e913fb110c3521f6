import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { runMainStep, startFraudWorld } from '../support/main-step.js';

// A schedule tick whose drift watches got no answer (the metrics source down, the target down) heads
// its report "Drift not checked"; on the run's page each blind model is one warning annotation that
// names it and what did not answer, so a watch that sees nothing stands out tick after tick. Main
// step from src/, fraud-detector on the sandbox with its metrics on a port nobody answers, churn's
// target there too.
let sandbox: Sandbox;
let github: FakeGitHub;
beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
});
afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

const WATCH = 'drift-watch: { window: 1h, reference: 1d, max-psi: 0.25 }';
const CONFIG = `version: 1
defaults:
  strategy: { type: canary, steps: [50] }
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    gates: []
    ${WATCH}
  churn:
    source: { file: models/churn.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates: []
    ${WATCH}
`;

describe('a schedule tick whose drift watches could not check', () => {
  it('heads its report so, and warns once per blind model, naming what did not answer', async () => {
    const tick = await runMainStep({
      eventName: 'schedule',
      event: { schedule: '*/15 * * * *' },
      inputs: {},
      config: CONFIG,
      githubUrl: github.url,
      env: { SANDBOX_URL: sandbox.url },
    });
    expect([tick.error, tick.outputs.decision]).toEqual([undefined, 'skipped']);
    const heading =
      "⚠️ Drift not checked: fraud-detector's metrics source did not answer and churn's target could not be read";
    expect(tick.log).toContain(`model-gate: ${heading}\n`);
    expect(tick.report).toMatch(new RegExp(`^## model-gate: ${heading}\n`));
    const warnings = tick.log.split('\n').filter((line) => line.startsWith('::warning'));
    expect(warnings).toHaveLength(2);
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^::warning::fraud-detector v1: drift not checked \(inconclusive\): the metrics source sandbox at http:\/\/127\.0\.0\.1:1 could not answer: .*; the next tick looks again$/,
      ),
    );
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^::warning::churn: drift not checked \(inconclusive\): the target could not be read: .*; the next tick looks again$/,
      ),
    );
  });
});
