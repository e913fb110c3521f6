import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { useFraudPrWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A PR's job keeps the release's observation log under RUNNER_TEMP and names its folder in the
// `observations-path` output, for a workflow's actions/upload-artifact step to keep it after the job.
vi.setConfig({ testTimeout: 60_000 });
const CONFIG = `version: 1
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10], step-duration: 4s, min-requests: 40, interval: 250ms }
    gates:
      - { name: errors, kind: ratio, events: errors, max-increase: 50% }
`;
const world = useFraudPrWorld({ pr: 7, config: CONFIG, seed: 6 });
let traffic: TrafficGenerator;
beforeAll(() => {
  traffic = startTraffic({ url: world.sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
});
afterAll(() => traffic?.stop());

it("names the folder holding the PR release's observation log in observations-path", async () => {
  const runnerTemp = await mkdtemp(join(tmpdir(), 'model-gate-runner-temp-'));
  const run = await world.step(
    'pull_request',
    pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
    {},
    { RUNNER_TEMP: runnerTemp },
  );
  expect(run.error).toBeUndefined();
  const folder = run.outputs['observations-path'];
  expect(folder).toBe(join(runnerTemp, 'model-gate', 'observations'));
  expect(await readdir(folder as string)).toEqual(['fraud-detector-pr7.jsonl']);
  const lines = (await readFile(join(folder as string, 'fraud-detector-pr7.jsonl'), 'utf8'))
    .trim()
    .split('\n');
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines)
    expect(JSON.parse(line)).toMatchObject({
      gate: 'errors',
      kind: 'ratio',
      step: 'step 1 of 1',
      split: 0.1,
    });
  await rm(runnerTemp, { recursive: true, force: true });
});
