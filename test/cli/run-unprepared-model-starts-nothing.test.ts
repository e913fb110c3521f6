import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliRunConfig, cliServing } from '../support/cli-run-world.js';
import { GitRepo } from '../support/git-repo.js';

// A PR changing two models, one of which its target cannot serve (the sandbox serves fraud-detector
// only): the run used to record fraud-detector's release, analysing, and then stop on ranker with
// an error. No run drove that record, yet `run tick` deployed it: live traffic for a candidate
// whose run said only that it failed. Every model is now checked before any release is recorded.
vi.setConfig({ testTimeout: 90_000 });

const STEPS = '{ type: canary, steps: [10, 50], step-duration: 20s, min-requests: 100, interval: 1s }';
/** cliRunConfig's fraud-detector, and ranker, which the sandbox does not serve, on the same canary. */
const CONFIG = `${cliRunConfig(STEPS)}  ranker:
    source: { file: models/ranker/model.yaml, key: version }
    strategy: ${STEPS}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

let sandbox: Sandbox;
let traffic: TrafficGenerator | undefined;
let repo: GitRepo;
const run = (...args: string[]) => runCli(repo.dir, ['run', ...args], { SANDBOX_URL: sandbox.url });

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: CLI_MODEL, stable: 'v1' }],
    seed: 3,
  });
  traffic = startTraffic({ url: sandbox.url, model: CLI_MODEL, rps: 250, seed: 4 });
  repo = await GitRepo.create();
  await repo.commit(
    {
      '.github/model-gate.yml': CONFIG,
      [`models/${CLI_MODEL}/model.yaml`]: 'version: v1\n',
      'models/ranker/model.yaml': 'version: r1\n',
    },
    'v1',
  );
  // PR #7's branch: both models change.
  repo.git('checkout', '-q', '-b', 'pr-7');
  await repo.commit(
    { [`models/${CLI_MODEL}/model.yaml`]: 'version: v3\n', 'models/ranker/model.yaml': 'version: r2\n' },
    'v3 and r2',
  );
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
});

it('a model its target cannot serve starts no release of the PR: status shows none, a tick deploys none', async () => {
  const release = await run('release', '--head', 'HEAD', '--pr', '7');
  expect(release.code).toBe(1);
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });

  const status = await run('status');
  expect(status.code).toBe(0);
  expect.soft(status.stdout).toContain('model-gate: ℹ️ Status: nothing in flight');
  expect.soft(status.stdout).not.toContain('v3');

  const tick = await run('tick');
  expect(tick.code).toBe(0);
  expect.soft(tick.stdout).toContain('no release is analysing');
  expect.soft(tick.stdout).not.toContain('v3');
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });

  // Which model failed and why, and what became of the other.
  expect(release.stderr).toContain(
    `model-gate run: ranker: r2 not started: sandbox ranker at ${sandbox.url} refused: unknown model "ranker"; served models: ${CLI_MODEL}`,
  );
  expect(release.stderr).toContain(
    `model-gate run: ${CLI_MODEL} v3 not started either: PR #7's run starts its releases together once every changed model can be, so nothing was deployed or recorded for it`,
  );
});

it("a matrix job of the model that can be served releases it: the other model's failure is its own job's", async () => {
  const job = await run('release', '--head', 'HEAD', '--pr', '7', '--model', CLI_MODEL, '--mode', 'tick');
  expect(job.stderr).toBe('');
  expect(job.code).toBe(0);
  expect(await cliServing(sandbox.url)).toMatchObject({ canary: { version: 'v3', weight: 10 } });
  expect((await run('close', '--pr', '7')).code).toBe(0);
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
});
