import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// The commands of `model-gate run` (status, rollback) compare no versions: a repository without a
// main branch, or no repository at all, must not stop them; only the PR events need a base.
vi.setConfig({ testTimeout: 60_000 });
const MODEL = 'fraud-detector';
const modelBlock = (name: string) => `  ${name}:
    source: { file: models/${name}/model.yaml, key: version }
    strategy: { type: canary, steps: [50], step-duration: 20s, min-requests: 150, interval: 1s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
const config = (...models: string[]) => `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
${models.map(modelBlock).join('')}`;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 3,
  });
});
afterAll(() => sandbox?.close());

const env = () => ({ SANDBOX_URL: sandbox.url });
const serving = async () =>
  (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body as unknown;

describe('model-gate run status and rollback', () => {
  it('in a repository whose only branch is trunk: no --base asked for', async () => {
    const repo = await GitRepo.create();
    await repo.commit({
      '.github/model-gate.yml': config(MODEL),
      [`models/${MODEL}/model.yaml`]: 'version: v1\n',
    });
    repo.git('branch', '-m', 'trunk');

    const status = await runCli(repo.dir, ['run', 'status'], env());
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${MODEL} serves v1`);

    const rollback = await runCli(repo.dir, ['run', 'rollback', '--to-version', 'v2'], env());
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(await serving()).toEqual({ stable: { version: 'v2' } });
    const back = await runCli(repo.dir, ['run', 'rollback', '--to-version', 'v1'], env());
    expect(back.code).toBe(0);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('outside a git repository: run with --config and --ledger, and say which is missing without them', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'model-gate-no-repo-'));
    await mkdir(join(outside, 'conf'));
    await writeFile(join(outside, 'conf', 'model-gate.yml'), config(MODEL));
    const paths = ['--config', 'conf/model-gate.yml', '--ledger', 'ledger.json'];

    const status = await runCli(outside, ['run', 'status', ...paths], env());
    expect(status.stderr).toBe(
      'warning: ledger ledger.json does not exist: nothing is recorded there; check --ledger\n',
    );
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${MODEL} serves v1`);

    const noLedger = await runCli(outside, ['run', 'status', '--config', 'conf/model-gate.yml'], env());
    expect(noLedger.stderr).toBe(
      `model-gate run: ${outside} is not inside a git repository: run model-gate in a checkout of the repository, or pass --ledger PATH\n`,
    );
    expect(noLedger.code).toBe(1);
  });

  it('with two models and no --model, asks for --model, not the action input', async () => {
    const repo = await GitRepo.create();
    await repo.commit({
      '.github/model-gate.yml': config(MODEL, 'ranker'),
      [`models/${MODEL}/model.yaml`]: 'version: v1\n',
    });
    const rollback = await runCli(repo.dir, ['run', 'rollback'], env());
    expect(rollback.stderr).toBe(
      `model-gate run: command rollback: set --model to one of ${MODEL}, ranker\n`,
    );
    expect(rollback.code).toBe(1);
  });
});
