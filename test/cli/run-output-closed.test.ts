import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { CLI_MODEL, cliRunConfig, cliServing, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';
import { fromSourceArgs } from '../support/source-bundle.js';

// `model-gate run release | head -1`, or quitting `less`: the reader goes away and the run's next
// write fails (EPIPE). That used to end it with a stack trace (exit 1), its candidate left on live
// traffic and the ledger saying "analysing" under a watch lease nothing keeps. It must stop as on
// a hang-up: the candidate withdrawn, the stop recorded, and exit 141 as a shell has it.
vi.setConfig({ testTimeout: 90_000 });
// Steps short enough to advance with the traffic below: the step-up's line is written to the closed pipe.
const CONFIG = cliRunConfig(
  '{ type: canary, steps: [10, 20, 50], step-duration: 2s, min-requests: 20, interval: 1s }',
);

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let repo: GitRepo;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: CLI_MODEL, stable: 'v1' }] });
  traffic = startTraffic({ url: sandbox.url, model: CLI_MODEL, rps: 250, seed: 4 });
  repo = await repoAtV1(CONFIG);
  await declareIn(repo, 'v2');
});
afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
});

it('a reader that goes away mid-analysis gets the candidate withdrawn, no stack trace, exit 141', async () => {
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const run = spawn(process.execPath, [...node, 'run', 'release', '--pr', '7'], {
    cwd: repo.dir,
    env: { ...process.env, SANDBOX_URL: sandbox.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(run, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stderr = '';
  run.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  let stdout = '';
  await new Promise<void>((resolve, reject) => {
    run.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('analysing step 1 of 3 (10% of live traffic)')) resolve();
    });
    void exited.then(() =>
      reject(new Error(`the run ended before its candidate was live: ${stdout}${stderr}`)),
    );
  });
  expect(await cliServing(sandbox.url)).toEqual({
    stable: { version: 'v1' },
    canary: { version: 'v2', weight: 10 },
  });

  // As `head -1` does once it has its line: the pipe's only reader closes it.
  run.stdout.destroy();
  const [code, signal] = await exited;
  expect({ code, signal, stderr }).toEqual({ code: 141, signal: null, stderr: expect.any(String) });
  expect(stderr).not.toContain('EPIPE\n');
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).toContain(
    `model-gate run: stopped by its output closing (EPIPE): ${CLI_MODEL} v2 withdrawn; to analyse again: model-gate run reopen --pr 7`,
  );
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
  const ledger = JSON.parse(await readFile(join(repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
  expect(ledger.releases[CLI_MODEL]).toMatchObject({
    pr: 7,
    status: 'aborted',
    reason: 'stopped by its output closing (EPIPE) mid-analysis',
  });
});
