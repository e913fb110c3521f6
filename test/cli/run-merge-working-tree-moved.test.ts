import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// `model-gate run merge` on the working tree after its version file changed since the release
// passed: the working tree is one head name (`:working-tree`) whatever it declares, so the merge
// must read what it declares now, as `plan` does, not take the same name for the same version.
vi.setConfig({ testTimeout: 90_000 });
const MODEL = 'fraud-detector';
const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  ${MODEL}:
    source: { file: models/${MODEL}/model.yaml, key: version }
    strategy: { type: canary, steps: [50], step-duration: 20s, min-requests: 150, interval: 1s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let repo: GitRepo;
beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 3,
  });
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 250, seed: 4 });
  repo = await GitRepo.create();
  await repo.commit(
    { '.github/model-gate.yml': CONFIG, [`models/${MODEL}/model.yaml`]: 'version: v1\n' },
    'v1',
  );
});
afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
});

const run = (...args: string[]) => runCli(repo.dir, ['run', ...args], { SANDBOX_URL: sandbox.url });
const declare = (version: string) =>
  writeFile(join(repo.dir, 'models', MODEL, 'model.yaml'), `version: ${version}\n`);
const serving = async () =>
  (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body as unknown;

it('does not promote a version the working tree no longer declares', async () => {
  await declare('v2');
  const released = await run('release', '--pr', '7');
  expect(released.stdout).toMatch(/^model-gate: ✅ Ready to merge$/m);

  await declare('v3');
  const merged = await run('merge', '--pr', '7');
  expect(merged.stderr).toBe('');
  expect(merged.stdout).not.toContain('v2 is now the stable version');
  expect(merged.stdout).toContain('v2 was not promoted (on-merge: require-pass)');
  expect(merged.stdout).toContain(
    'v2 passed on the working tree when it declared v2, not on the working tree as it is now, which declares v3',
  );
  expect(await serving()).toEqual({ stable: { version: 'v1' } });
  const ledger = JSON.parse(await readFile(join(repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
  expect(ledger.history).toEqual([]);
  expect(ledger.releases[MODEL]).toMatchObject({ to: 'v2', status: 'aborted' });
});
