import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { CLI_MODEL, cliRunConfig, cliServing, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import { type HoldingProxy, startHoldingProxy } from '../support/holding-proxy.js';
import { fromSourceArgs } from '../support/source-bundle.js';

// `model-gate run release | head -1`, or quitting `less`: the reader goes away and the run's next
// write fails (EPIPE). That used to end it with a stack trace (exit 1), its candidate left on live
// traffic and the ledger saying "analysing" under a watch lease nothing keeps. It must stop as on
// a hang-up: the candidate withdrawn, the stop recorded, and exit 141 as a shell has it.
vi.setConfig({ testTimeout: 90_000 });
// A step ends at its first look with 20 candidate requests (about a second of the traffic below): v2's
// step-up line is written to the closed pipe. Its step-duration is only a cap, long so that a slow
// machine's fewer requests wait rather than fail for want of data. Errors up to 50%: v2 (0.2%) never
// fails its gate, BROKEN (every request) always does at its first look with data.
const CONFIG = cliRunConfig(
  '{ type: canary, steps: [10, 20, 50], step-duration: 30s, min-requests: 20, interval: 1s }',
  0.5,
);
/** A fraud-detector version that fails every request (HTTP 500). */
const BROKEN = 'v2broken';

let modelsDir: string;
let sandbox: Sandbox;
let traffic: TrafficGenerator;
beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-output-closed-'));
  await cp(join(demoModelsDir, CLI_MODEL), join(modelsDir, CLI_MODEL), { recursive: true });
  const v2 = JSON.parse(await readFile(join(modelsDir, CLI_MODEL, 'v2.json'), 'utf8'));
  const broken = { ...v2, version: BROKEN, errorWhen: { feature: 0, above: -1e9 } };
  await writeFile(join(modelsDir, CLI_MODEL, `${BROKEN}.json`), JSON.stringify(broken));
  sandbox = await startSandbox({ modelsDir, endpoints: [{ model: CLI_MODEL, stable: 'v1' }] });
  traffic = startTraffic({ url: sandbox.url, model: CLI_MODEL, rps: 250, seed: 4 });
});
afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
  await rm(modelsDir, { recursive: true, force: true });
});

/**
 * Holds the run's first traffic change after its 10% step (the step-up, or the rollback) until
 * `closed` settles: what the test reads at the close is the 10% step however slow the machine.
 */
function holdTrafficAfterFirstStep(proxy: HoldingProxy, closed: Promise<unknown>) {
  let firstStepLive = false;
  proxy.holdNext(
    ({ method, path, body }) => {
      if (method !== 'PUT' || !path.endsWith('/traffic')) return false;
      const weight = (JSON.parse(body) as { canary?: { weight?: number } }).canary?.weight;
      if (weight === 10) firstStepLive = true;
      return firstStepLive && weight !== 10;
    },
    () => closed,
  );
}

/**
 * `model-gate run release --pr 7` in a repository declaring `version`, its stdout closed as
 * `head -1` does once it has its line: once the run says its candidate is analysing at 10%.
 * The run reaches the sandbox through a proxy that holds its next traffic change until then.
 * Resolves once the process ended and all its stderr was read ('close', not 'exit').
 */
async function releaseUntilFirstStep(version: string) {
  const repo = await repoAtV1(CONFIG);
  await declareIn(repo, version);
  const proxy = await startHoldingProxy(sandbox.url);
  let stdoutClosed = () => {};
  holdTrafficAfterFirstStep(proxy, new Promise<void>((done) => (stdoutClosed = done)));
  try {
    const node = await fromSourceArgs('test/support/run-cli.ts');
    const run: ChildProcess = spawn(process.execPath, [...node, 'run', 'release', '--pr', '7'], {
      cwd: repo.dir,
      env: { ...process.env, SANDBOX_URL: proxy.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const closed = once(run, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    let stderr = '';
    run.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      run.stdout?.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('analysing step 1 of 3 (10% of live traffic)')) resolve();
      });
      void closed.then(() =>
        reject(new Error(`the run ended before its candidate was live: ${stdout}${stderr}`)),
      );
    });
    const servingAtClose = await cliServing(sandbox.url);
    run.stdout?.destroy();
    stdoutClosed();
    const [code, signal] = await closed;
    const ledger = JSON.parse(await readFile(join(repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
    return { servingAtClose, code, signal, stderr, release: ledger.releases[CLI_MODEL] };
  } finally {
    stdoutClosed();
    await proxy.close();
  }
}

it('a reader that goes away mid-analysis gets the candidate withdrawn, no stack trace, exit 141', async () => {
  const ended = await releaseUntilFirstStep('v2');
  expect(ended.servingAtClose).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 141, signal: null });
  expect(ended.stderr).not.toContain('EPIPE\n');
  expect(ended.stderr).not.toMatch(/^\s+at /m);
  expect(ended.stderr).toContain(
    `model-gate run: stopped by its output closing (EPIPE): ${CLI_MODEL} v2 withdrawn; to analyse again: model-gate run reopen --pr 7`,
  );
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
  expect(ended.release).toMatchObject({
    pr: 7,
    status: 'aborted',
    reason: 'stopped by its output closing (EPIPE) mid-analysis',
  });
});

// The run's report was its first write to the closed pipe: the stream tells of the failed write
// only after the run has returned. It used to exit 1 (as a failed release) and say nothing at all.
it('a reader gone before the report of a release that fails at its first step: exit 141, and stderr says it failed', async () => {
  const ended = await releaseUntilFirstStep(BROKEN);
  expect(ended.servingAtClose).toEqual({
    stable: { version: 'v1' },
    canary: { version: BROKEN, weight: 10 },
  });
  expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 141, signal: null });
  expect(ended.stderr).toContain(
    `model-gate run: stopped by its output closing (EPIPE): ${CLI_MODEL} ${BROKEN} failed\n`,
  );
  expect(ended.stderr).not.toMatch(/^\s+at /m);
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
  // The gate's verdict stands: the stop withdrew nothing more.
  expect(ended.release).toMatchObject({
    pr: 7,
    status: 'failed',
    reason: expect.stringMatching(/^errors: /),
  });
});
