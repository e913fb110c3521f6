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

// A PR's job left its failed candidate v2 on 10% (the platform refused the rollback), and its post
// step tries the withdrawal again, meeting a defect in model-gate (a TypeError thrown from the traffic
// change), not a platform refusal. The step used to fail quoting the platform's earlier refusal, as
// if the platform had refused again; now it says model-gate stopped on an unexpected error, to be
// reported, the withdrawal still pending, and the next run takes v2 out. A defect can only be
// planted: the sandbox target (a real sandbox behind it) is wrapped to throw one, and the post step
// runs from src/ in this process, where that wrapper reaches it.

const DEFECT = "Cannot read properties of undefined (reading 'weight')";
const MODEL = 'fraud-detector';
const plant = vi.hoisted(() => ({ defect: false }));

vi.mock('../../src/release/adapters.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/release/adapters.js')>();
  return {
    ...real,
    targetFor: (model: ModelConfig): Target => {
      const target = real.targetFor(model);
      return Object.create(target, {
        write: {
          value: async (desired: TrafficState) => {
            if (plant.defect) throw new TypeError(DEFECT);
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

/** The PR job's post step, from src/ in this process as the runner runs it; its `::error::`, if it failed. */
async function postStep(workspace: string, ledgerPath: string): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-post-defect-'));
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
  return /^::error::(.*)$/m.exec(log)?.[1];
}

describe("a defect met by a PR job's post step retrying a pending withdrawal", () => {
  it('fails the step saying so, the withdrawal pending, and the next run withdraws v2', async () => {
    const config = configFor(sandbox.url);
    const workspace = await workspaceWith(config, 'model-gate-post-defect-');
    // The job's candidate v2 fails its gate, and the platform refuses its rollback.
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2, yaml: config });
    w.target.failFromWrite = 1;
    const failed = await handlePullRequest(w.config, w.event(), w.ports, {
      mode: 'watch',
      maxWaitMs: 60_000,
      dryRun: false,
    });
    expect(failed.releases[0]).toMatchObject({ status: 'failed', withdrawPending: true });
    const live = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
    await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, live);

    plant.defect = true;
    const error = await postStep(workspace, w.ledgerPath);
    expect(error).toBe(
      `model-gate post step could not withdraw the candidate: ${MODEL}: model-gate stopped on an unexpected error withdrawing v2: ${DEFECT}; v2 may still get live traffic: the next run tries again; please report it`,
    );
    expect(await fraudServing(sandbox)).toEqual(live);
    expect(await w.ledger.release(MODEL)).toMatchObject({ status: 'failed', withdrawPending: true });

    plant.defect = false;
    expect(await postStep(workspace, w.ledgerPath)).toBeUndefined();
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v1' } });
    expect((await w.ledger.release(MODEL))?.withdrawPending).toBeUndefined();
  });
});
