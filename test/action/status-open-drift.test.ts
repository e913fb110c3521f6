import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { utcMinute } from '../../src/report/format.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// fraud-detector v1, promoted three days ago, drifts on record since two hours ago: a tick found it
// and alerted, and no look since found it over. command status said only "nothing in flight …
// serves v1"; then it named the drift and since when, under a warning heading, but never looked:
// now it takes the watch's look itself (recording nothing) and says what it found, or why it found
// nothing, beside the drift on record. Main step from src/, the real sandbox, a ledger file holding
// the promotion and the drift.
const MODEL = 'fraud-detector';
const HOUR = 3_600_000;
const CONFIG = `version: 1
models:
  ${MODEL}:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50] }
    drift-watch: { window: 1h }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

let sandbox: Sandbox;
let github: FakeGitHub;
let ledger: string;

beforeAll(async () => {
  [sandbox, github] = await Promise.all([
    startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] }),
    startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' }),
  ]);
  ledger = join(await mkdtemp(join(tmpdir(), 'status-open-drift-')), 'ledger.json');
});

afterAll(async () => {
  await Promise.all([sandbox?.close(), github?.close()]);
});

const status = (config = CONFIG) =>
  runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent({ command: 'status' }),
    inputs: { ledger, command: 'status' },
    config,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, GITHUB_SHA: sha(1) },
  });

describe('command status with a drift on record', () => {
  it('names the drift and since when, under a warning heading', async () => {
    const file = fileLedger(ledger);
    const promoted = Date.now() - 72 * HOUR;
    await file.record({
      model: MODEL,
      kind: 'promotion',
      version: 'v1',
      previous: 'v0',
      at: promoted,
      pr: 3,
      summary: 'passed',
    });
    const since = Date.now() - 2 * HOUR;
    const look = {
      model: MODEL,
      version: 'v1',
      drifted: true,
      psi: 0.31,
      note: `${MODEL} v1 drifted (PSI 0.31)`,
    };
    expect(await file.recordDrift(look, since)).toMatchObject({ change: 'began' });

    const run = await status();
    expect([run.error, run.exitCode ?? 0]).toEqual([undefined, 0]);
    expect(run.report).toMatch(
      /^## model-gate: ⚠️ Status: nothing in flight; still drifting \(alerted before\)\n/,
    );
    // The status run looks itself (recording nothing): the sandbox has no predictions to compare.
    expect(run.report).toMatch(
      new RegExp(
        `\\n- ${MODEL} v1: drift not checked \\(inconclusive\\): no predictions in either window to compare .+ \\(looked at [^)]+ by this status run, recording nothing\\); a drift on record since ${utcMinute(since)} \\(first alerted by the tick then\\), not over\\n`,
      ),
    );
    expect(run.report).not.toContain('a status run does not look again');
    // No new alert: the drift was alerted when it began.
    expect(run.outputs.decision).toBe('skipped');
  }, 30_000);

  it('a metrics source not answering is a line of the report, never a failed status', async () => {
    const run = await status(
      CONFIG.replace(
        `metrics: { type: sandbox, url: "\${SANDBOX_URL}" }`,
        'metrics: { type: sandbox, url: "http://127.0.0.1:1" }',
      ),
    );
    expect([run.error, run.exitCode ?? 0]).toEqual([undefined, 0]);
    expect(run.report).toMatch(
      /^## model-gate: ⚠️ Status: nothing in flight; still drifting \(alerted before\)\n/,
    );
    expect(run.report).toMatch(
      new RegExp(
        `\\n- ${MODEL} v1: drift not checked \\(inconclusive\\): the metrics source sandbox at http://127\\.0\\.0\\.1:1 could not answer: .+; the next schedule tick looks again \\(looked at [^)]+ by this status run, recording nothing\\); a drift on record since .+ not over\\n`,
      ),
    );
  }, 30_000);
});
