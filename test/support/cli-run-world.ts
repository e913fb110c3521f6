import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runCli } from './cli-process.js';
import { GitRepo } from './git-repo.js';

/** The model `model-gate run` tests release: the sandbox's demo model. */
export const CLI_MODEL = 'fraud-detector';

/** One 50% step judged by the error rate, long enough for live traffic to decide it. */
const ONE_STEP = '{ type: canary, steps: [50], step-duration: 20s, min-requests: 150, interval: 1s }';

/** fraud-detector on the sandbox at ${SANDBOX_URL}, its version in models/fraud-detector/model.yaml. */
export const cliRunConfig = (strategy = ONE_STEP, maxErrors = 0.02) => `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  ${CLI_MODEL}:
    source: { file: models/${CLI_MODEL}/model.yaml, key: version }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: ${maxErrors} }
`;

/** A git repository whose one commit has `config` and fraud-detector at v1. */
export async function repoAtV1(config: string): Promise<GitRepo> {
  const repo = await GitRepo.create();
  await repo.commit(
    { '.github/model-gate.yml': config, [`models/${CLI_MODEL}/model.yaml`]: 'version: v1\n' },
    'v1',
  );
  return repo;
}

/** `version` written to the working tree's version file, uncommitted. */
export const declareIn = (repo: GitRepo, version: string) =>
  writeFile(join(repo.dir, 'models', CLI_MODEL, 'model.yaml'), `version: ${version}\n`);

/** What the sandbox at `url` serves of fraud-detector, as its traffic API reads it back. */
export const cliServing = async (url: string) =>
  (await requestJson('GET', `${url}/admin/models/${CLI_MODEL}/traffic`)).body as unknown;

/**
 * A test file's world for `model-gate run` as a user runs it on a laptop, started once for the file:
 * a real sandbox serving v1 with 250 requests a second of live traffic, a repository at v1 under
 * cliRunConfig(), `run` the CLI as its own process there, the ledger a file in the repository.
 */
export function useCliRunWorld() {
  const world = {
    // Set by beforeAll.
    sandbox: undefined as unknown as Sandbox,
    repo: undefined as unknown as GitRepo,
    run: (...args: string[]) => runCli(world.repo.dir, ['run', ...args], { SANDBOX_URL: world.sandbox.url }),
    declare: (version: string) => declareIn(world.repo, version),
    serving: () => cliServing(world.sandbox.url),
  };
  let traffic: TrafficGenerator | undefined;
  beforeAll(async () => {
    world.sandbox = await startSandbox({
      modelsDir: demoModelsDir,
      endpoints: [{ model: CLI_MODEL, stable: 'v1' }],
      seed: 3,
    });
    traffic = startTraffic({ url: world.sandbox.url, model: CLI_MODEL, rps: 250, seed: 4 });
    world.repo = await repoAtV1(cliRunConfig());
  });
  afterAll(async () => {
    await traffic?.stop();
    await world.sandbox?.close();
  });
  return world;
}
