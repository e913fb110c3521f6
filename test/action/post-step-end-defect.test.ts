import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { requestJson } from '../../src/core/http-json.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { Target } from '../../src/targets/target.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudPr } from '../support/fraud-pr.js';
import { fraudServing, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { workspaceWith } from '../support/platform-pass-through.js';

// A PR's job is cancelled mid-analysis, its candidate v2 on 10%, and its post step ends the release
// and withdraws v2, meeting a defect in model-gate (a TypeError thrown from the traffic change) after
// recording the end. The step used to call that a ledger failure ("could not read or write the
// ledger (Cannot read properties…)"), telling the user to re-run once GitHub answers. Now it is
// reported as the bug it is ("…; please report it"), the stack trace only in the debug log, the step
// fails, and v2 is taken out all the same where a second try can: the record then says so. The
// defect is planted in the sandbox target (a real sandbox behind it); the post step runs from src/ in
// this process, where that wrapper reaches it.

const DEFECT = "Cannot read properties of undefined (reading 'weight')";
const MODEL = 'fraud-detector';
// How many of the traffic changes to come meet the defect.
const plant = vi.hoisted(() => ({ writes: 0 }));

vi.mock('../../src/release/adapters.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/release/adapters.js')>();
  return {
    ...real,
    targetFor: (model: ModelConfig): Target => {
      const target = real.targetFor(model);
      return Object.create(target, {
        write: {
          value: async (desired: TrafficState) => {
            if (plant.writes > 0) {
              plant.writes -= 1;
              throw new TypeError(DEFECT);
            }
            await target.write(desired);
          },
        },
      });
    },
  };
});

const { CLEANUP_STATE, post } = await import('../../src/action/post.js');

let sandbox: Sandbox;
let github: FakeGitHub;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1'));
});

afterAll(async () => {
  await sandbox?.close();
  await github?.close();
});

const configFor = (url: string) => `version: 1
models:
  ${MODEL}:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "${url}" }
    metrics: { type: sandbox, url: "${url}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

/** The PR job's post step, from src/ in this process as the runner runs it: its `::error::` and its debug lines. */
async function postStep(workspace: string, ledgerPath: string) {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-post-end-defect-'));
  const eventPath = join(dir, 'event.json');
  await writeFile(
    eventPath,
    JSON.stringify(pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 })),
  );
  const saved = { env: process.env, exitCode: process.exitCode };
  process.env = {
    PATH: saved.env.PATH,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'Codertocat/Hello-World',
    GITHUB_API_URL: github.url,
    GITHUB_RUN_ID: '4242',
    RUNNER_TEMP: dir,
    INPUT_CONFIG: join(workspace, '.github', 'model-gate.yml'),
    'INPUT_GITHUB-TOKEN': 'ghs_fake_token',
    INPUT_LEDGER: ledgerPath,
    // What the main step saved: v2 may have live traffic.
    [`STATE_${CLEANUP_STATE}`]: JSON.stringify([{ model: MODEL, from: 'v1', to: 'v2' }]),
  };
  let log = '';
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    log += String(chunk);
    return true;
  });
  try {
    await post(process.env);
  } finally {
    quiet.mockRestore();
    process.env = saved.env;
    process.exitCode = saved.exitCode;
  }
  const debug = log.split('\n').filter((l) => l.startsWith('::debug::'));
  return { error: /^::error::(.*)$/m.exec(log)?.[1], debug: debug.join('\n') };
}

/** A job cancelled mid-analysis: v2 analysing on 10% of live traffic. */
async function cancelledMidAnalysis() {
  const config = configFor(sandbox.url);
  const workspace = await workspaceWith(config, 'model-gate-post-end-defect-');
  const w = await fraudPr({ to: 'v2', yaml: config });
  const opened = await handlePullRequest(w.config, w.event(), w.ports, {
    mode: 'tick',
    maxWaitMs: 0,
    dryRun: false,
  });
  expect(opened.releases[0]).toMatchObject({ status: 'analysing', phase: 0 });
  const live = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, live);
  return { workspace, w, live };
}

describe("a defect met by a PR job's post step withdrawing its candidate", () => {
  it('fails the step as a defect to report, and a second try takes v2 out', async () => {
    const { workspace, w } = await cancelledMidAnalysis();
    plant.writes = 1;
    const step = await postStep(workspace, w.ledgerPath);
    expect(step.error).toBe(
      `model-gate post step: ${MODEL}: model-gate stopped on an unexpected error withdrawing v2: ${DEFECT}; v2 withdrawn on a second try; please report it`,
    );
    // The stack trace is for a bug report, in the debug log only.
    expect(step.error).not.toContain('    at ');
    expect(step.debug).toContain(`::debug::TypeError: ${DEFECT}`);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    const release = await w.ledger.release(MODEL);
    expect(release).toMatchObject({ status: 'aborted' });
    expect(release?.withdrawPending).toBeUndefined();
  });

  it('fails the step as a defect to report, v2 still pending withdrawal, when the second try meets it too', async () => {
    const { workspace, w, live } = await cancelledMidAnalysis();
    plant.writes = 2;
    const step = await postStep(workspace, w.ledgerPath);
    plant.writes = 0;
    expect(step.error).toBe(
      `model-gate post step could not withdraw the candidate: ${MODEL}: model-gate stopped on an unexpected error withdrawing v2: ${DEFECT}; v2 may still get live traffic: the next run tries again; please report it`,
    );
    expect(await fraudServing(sandbox)).toEqual(live);
    // The record says so, and the next run takes v2 out.
    const release = await w.ledger.release(MODEL);
    expect(release).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(release?.reason).toContain(
      `withdrawing v2 failed: model-gate stopped on an unexpected error: ${DEFECT}`,
    );
    expect((await postStep(workspace, w.ledgerPath)).error).toBeUndefined();
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
  });
});
