import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// `model-gate run release --config PATH` in a repository whose config lives elsewhere than
// .github/model-gate.yml: its report says what the working tree changes of that file, the one
// the run loaded, measured from the repository's top whatever folder the command runs in.
vi.setConfig({ testTimeout: 60_000 });
const MODEL = 'fraud-detector';
const CONFIG_FILE = 'deploy/model-gate.yml';
const config = (max: number) => `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  ${MODEL}:
    source: { file: models/${MODEL}/model.yaml, key: version }
    strategy: { type: canary, steps: [50], step-duration: 20s, min-requests: 150, interval: 1s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: ${max} }
`;

let sandbox: Sandbox;
let repo: GitRepo;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  repo = await GitRepo.create();
  await repo.commit({ [CONFIG_FILE]: config(0.02), [`models/${MODEL}/model.yaml`]: 'version: v1\n' }, 'v1');
});
afterAll(async () => {
  await sandbox?.close();
});

it('run release --config compares the file it names, from a folder below the top', async () => {
  // The working tree declares v2 and loosens the errors gate of the config it is judged by.
  await writeFile(join(repo.dir, 'models', MODEL, 'model.yaml'), 'version: v2\n');
  await writeFile(join(repo.dir, CONFIG_FILE), config(0.5));
  const run = await runCli(
    join(repo.dir, 'models'),
    ['run', 'release', '--pr', '4', '--config', `../${CONFIG_FILE}`, '--dry-run'],
    { SANDBOX_URL: sandbox.url },
  );
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(run.stdout).toContain(
    `  ${MODEL}: this PR changes its release config: gate "errors" max 0.02 → 0.5\n`,
  );
});
