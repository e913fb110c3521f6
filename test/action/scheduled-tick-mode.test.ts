import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// A tick (schedule, command tick) is one pass whatever `mode` says, as action.yml's `mode`
// documents: `mode` defaults to watch, so a tick honouring it would watch for up to max-wait on
// every cron. Main step from src/, against the GitHub stand-in and the sandbox with live traffic,
// on a canary fast enough that a watch would decide it within seconds.
const FILE = 'models/fraud.yaml';
const CONFIG = fraudCanaryConfig(
  '{ type: canary, steps: [10, 50], step-duration: 2s, min-requests: 10, interval: 250ms }',
);

let github: FakeGitHub;
let sandbox: Sandbox;
let traffic: TrafficGenerator;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 4));
  traffic = startTraffic({ url: sandbox.url, model: 'fraud-detector', rps: 300, seed: 8 });
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

const step = (eventName: string, event: unknown, inputs: Record<string, string>) =>
  runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });

describe('mode on a schedule tick', () => {
  it('is documented as not applying to ticks', () => {
    const action = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8');
    expect(action).toContain(
      'A tick (command tick, the default on schedule) is always one pass, whatever mode says',
    );
  });

  it('watch: the tick still makes one pass and leaves the release analysing for the next one', async () => {
    // The PR's job makes one pass too: it deploys v2 and leaves the release to the ticks.
    const opened = await step(
      'pull_request',
      pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      {
        mode: 'tick',
      },
    );
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'analysing']);

    const tick = await step('schedule', { schedule: '*/15 * * * *' }, { mode: 'watch', 'max-wait': '2m' });
    // A watch would have run the 4 s canary to its end (ready); one pass leaves it analysing.
    expect([tick.error, tick.outputs.decision]).toEqual([undefined, 'analysing']);
    const served = (await requestJson('GET', `${sandbox.url}/admin/models/fraud-detector/traffic`)).body;
    expect(served).toMatchObject({ stable: { version: 'v1' }, canary: { version: 'v2' } });
  });
});
