import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';
import { fromSourceArgs } from '../support/source-bundle.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';

// A second Ctrl-C while `model-gate run release` is still withdrawing its candidate (a platform
// slow to answer) stops it at once: it must say what may be left live and the command that
// withdraws it, and that command must then settle it.
vi.setConfig({ testTimeout: 90_000 });
const MODEL = 'fraud-detector';
const CONFIG = `version: 1
models:
  ${MODEL}:
    source: { file: models/${MODEL}/model.yaml, key: version }
    target: { type: http, url: "\${LAYER_URL}", strategies: [canary] }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1000000, interval: 1s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

let layer: ServingLayer;
let sandbox: Sandbox;
let repo: GitRepo;
beforeAll(async () => {
  layer = await startServingLayer({
    deployed: ['v1', 'v2'],
    stable: 'v1',
    capabilities: { strategies: ['canary'], weights: 'integer' },
  });
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  repo = await GitRepo.create();
  await repo.commit({ '.github/model-gate.yml': CONFIG, [`models/${MODEL}/model.yaml`]: 'version: v1\n' });
  await writeFile(join(repo.dir, 'models', MODEL, 'model.yaml'), 'version: v2\n');
});
afterAll(async () => {
  await layer?.close();
  await sandbox?.close();
});

const env = () => ({ LAYER_URL: layer.url, SANDBOX_URL: sandbox.url });

it('a second Ctrl-C mid-withdrawal exits 130 naming the abort command, which then withdraws the candidate', async () => {
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const proc = spawn(process.execPath, [...node, 'run', 'release', '--pr', '6'], {
    cwd: repo.dir,
    env: { ...process.env, ...env() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stdout = '';
  let stderr = '';
  const seen = (where: () => string, text: string) =>
    new Promise<void>((resolve, reject) => {
      const look = () => {
        if (where().includes(text)) resolve();
      };
      proc.stdout?.on('data', look);
      proc.stderr?.on('data', look);
      void exited.then(() => reject(new Error(`exited before "${text}": ${stdout}${stderr}`)));
    });
  proc.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  await seen(() => stdout, 'analysing step 1 of 2 (10% of live traffic)');
  expect(layer.traffic).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });

  // From now on the platform answers too late for the run to finish withdrawing before the second signal.
  layer.faults.delayMs = 20_000;
  proc.kill('SIGINT');
  await seen(() => stderr, 'stopping on Ctrl-C (SIGINT)');
  proc.kill('SIGINT');
  const [code, signal] = await exited;
  expect({ code, signal }).toEqual({ code: 130, signal: null });
  expect(stderr).toContain(
    `model-gate run: stopped on Ctrl-C (SIGINT) before this run's candidates were withdrawn: the candidate of ${MODEL} may still get live traffic: model-gate run abort --model ${MODEL} withdraws it`,
  );
  // Exited at once: no lock left behind for the command to trip on.
  layer.faults.delayMs = 0;
  const abort = await runCli(repo.dir, ['run', 'abort', '--model', MODEL], env());
  expect(abort.stderr).toBe('');
  expect(abort.code).toBe(0);
  expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
  const ledger = JSON.parse(await readFile(join(repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
  expect(ledger.releases[MODEL]).toMatchObject({ pr: 6, status: 'aborted' });
  expect(ledger.releases[MODEL].withdrawPending).toBeUndefined();
  const status = await runCli(repo.dir, ['run', 'status'], env());
  expect(status.stdout).toMatch(/^model-gate: ℹ️ Status: nothing in flight$/m);
});
