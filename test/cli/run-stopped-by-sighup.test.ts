import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startRunUntil } from '../support/cli-run-live.js';
import { CLI_MODEL, cliRunConfig, cliServing, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';
import { fromSourceArgs } from '../support/source-bundle.js';

// `model-gate run release` in a terminal that closes (an ssh session dropped, the window shut): the
// shell sends SIGHUP. It used to kill the run on the spot, its candidate left on 10% of live traffic
// and the ledger saying "analysing" under a watch lease nothing keeps; it must end as on SIGTERM.
vi.setConfig({ testTimeout: 90_000 });
// Gates that cannot decide for ten minutes: the candidate stays on its first step until stopped.
const CONFIG = cliRunConfig(
  '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1000000, interval: 1s }',
);

let sandbox: Sandbox;
let repo: GitRepo;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: CLI_MODEL, stable: 'v1' }] });
  repo = await repoAtV1(CONFIG);
  await declareIn(repo, 'v2');
});
afterAll(() => sandbox?.close());

const ledgerPath = () => join(repo.dir, '.model-gate', 'ledger.json');
const releaseOnRecord = async () => JSON.parse(await readFile(ledgerPath(), 'utf8')).releases[CLI_MODEL];

it('SIGHUP mid-analysis withdraws the candidate, records why, and exits 129', async () => {
  const run = await startRunUntil(
    repo.dir,
    ['run', 'release', '--pr', '5'],
    { SANDBOX_URL: sandbox.url },
    'analysing step 1 of 2 (10% of live traffic)',
  );
  expect(await cliServing(sandbox.url)).toEqual({
    stable: { version: 'v1' },
    canary: { version: 'v2', weight: 10 },
  });

  run.kill('SIGHUP');
  const [exitCode, killedBy] = await run.exited;
  expect({ exitCode, killedBy }).toEqual({ exitCode: 129, killedBy: null });
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
  expect(run.stderr()).toContain(
    `model-gate run: stopped by SIGHUP: ${CLI_MODEL} v2 withdrawn; to analyse again: model-gate run reopen --pr 5`,
  );
  const release = await releaseOnRecord();
  expect(release).toMatchObject({ pr: 5, status: 'aborted', reason: 'stopped by SIGHUP mid-analysis' });
  expect(release.withdrawPending).toBeUndefined();
  expect(existsSync(`${ledgerPath()}.lock`)).toBe(false);
});

it('a terminal that closes mid-analysis (its output gone with it) still gets the candidate withdrawn', async () => {
  // The run in a real pseudo-terminal (util-linux `script`); killing `script` closes it, so the kernel
  // sends the run SIGHUP and its later writes to the terminal fail (EIO), as when an ssh session drops.
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const command = ['exec', process.execPath, ...node, 'run', 'release', '--pr', '6']
    .map((w) => `'${w}'`)
    .join(' ')
    .replace("'exec'", 'exec');
  const terminal = spawn('script', ['-qfc', command, '/dev/null'], {
    cwd: repo.dir,
    env: { ...process.env, SANDBOX_URL: sandbox.url },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let screen = '';
  await new Promise<void>((resolve, reject) => {
    terminal.stdout.on('data', (c: Buffer) => {
      screen += c.toString();
      if (screen.includes('analysing step 1 of 2 (10% of live traffic)')) resolve();
    });
    terminal.on('exit', () => reject(new Error(`the run ended before its candidate was live: ${screen}`)));
  });
  // The run is the child `script` started (exec'd by its shell).
  const run = Number(await readFile(`/proc/${terminal.pid}/task/${terminal.pid}/children`, 'utf8'));
  expect(await cliServing(sandbox.url)).toEqual({
    stable: { version: 'v1' },
    canary: { version: 'v2', weight: 10 },
  });

  terminal.kill('SIGKILL');
  await runEnded(run);
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
  expect(await releaseOnRecord()).toMatchObject({
    pr: 6,
    status: 'aborted',
    reason: 'stopped by SIGHUP mid-analysis',
  });
});

/** Resolves once process `pid` (not a child of this one) has ended. */
async function runEnded(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
