import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic } from '../../src/sandbox/traffic.js';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliServing, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';
import { type PlatformRequest, platformPassThrough } from '../support/platform-pass-through.js';
import { fromSourceArgs } from '../support/source-bundle.js';

// A stop signal that comes while a step is under way, not at a wait between looks:
// - during the one pass of `run release --mode tick`, the run said "then this run's candidates are
//   withdrawn" and exited 130 with its candidate left on 10% of live traffic;
// - a second one ("stop at once") left the run's watch lease in the ledger, so `run status` said the
//   job looks again until its max-wait and `run tick` left the live candidate to that job, gone.
vi.setConfig({ testTimeout: 90_000 });
// By default gates that cannot decide for ten minutes: the candidate stays on its first step until stopped.
const UNDECIDED =
  '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1000000, interval: 1s }';
const config = (strategy = UNDECIDED) => `version: 1
models:
  ${CLI_MODEL}:
    source: { file: models/${CLI_MODEL}/model.yaml, key: version }
    target: { type: sandbox, url: "\${PLATFORM_URL}" }
    metrics: { type: sandbox, url: "\${METRICS_URL}" }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

/** A pass-through to the sandbox that keeps the requests `hold` picks unanswered until `letGo`. */
async function holdingPassThrough(sandboxUrl: string) {
  let picks: ((request: PlatformRequest) => boolean) | undefined;
  let onHeld = () => {};
  const held: (() => void)[] = [];
  const passThrough = await platformPassThrough(sandboxUrl, async (request, forward) => {
    if (picks?.(request)) {
      await new Promise<void>((answer) => {
        held.push(answer);
        onHeld();
      });
    }
    return forward();
  });
  return {
    url: passThrough.url,
    /** From now on holds the requests `pick` takes; resolves once one is held. */
    hold: (pick: (request: PlatformRequest) => boolean) =>
      new Promise<void>((resolve) => {
        picks = pick;
        onHeld = resolve;
      }),
    letGo: () => {
      picks = undefined;
      for (const answer of held.splice(0)) answer();
    },
    close: () => passThrough.close(),
  };
}

let sandbox: Sandbox;
let platform: Awaited<ReturnType<typeof holdingPassThrough>>;
let metrics: Awaited<ReturnType<typeof holdingPassThrough>>;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: CLI_MODEL, stable: 'v1' }] });
  platform = await holdingPassThrough(sandbox.url);
  metrics = await holdingPassThrough(sandbox.url);
});
afterAll(async () => {
  platform?.letGo();
  metrics?.letGo();
  await platform?.close();
  await metrics?.close();
  await sandbox?.close();
});

const env = () => ({ PLATFORM_URL: platform.url, METRICS_URL: metrics.url });

/** A repository at v1 declaring v2 in its working tree, with its own ledger. */
async function repoDeclaringV2(strategy?: string): Promise<GitRepo> {
  const repo = await repoAtV1(config(strategy));
  await declareIn(repo, 'v2');
  return repo;
}

/** `model-gate run ARGS` from source as its own process in `repo`, to send signals to. */
async function startRun(repo: GitRepo, args: string[]) {
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const proc = spawn(process.execPath, [...node, 'run', ...args], {
    cwd: repo.dir,
    env: { ...process.env, ...env() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const out = { stdout: '', stderr: '' };
  /** Resolves once the process has said `text` on stdout or stderr. */
  const said = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const look = () => {
        if (out.stdout.includes(text) || out.stderr.includes(text)) resolve();
      };
      look();
      proc.stdout.on('data', look);
      proc.stderr.on('data', look);
      void exited.then(() => reject(new Error(`exited before "${text}": ${out.stdout}${out.stderr}`)));
    });
  proc.stdout.on('data', (c: Buffer) => {
    out.stdout += c.toString();
  });
  proc.stderr.on('data', (c: Buffer) => {
    out.stderr += c.toString();
  });
  return { kill: (signal: NodeJS.Signals) => proc.kill(signal), exited, said, out };
}

const releaseOnRecord = async (repo: GitRepo) =>
  JSON.parse(await readFile(join(repo.dir, '.model-gate', 'ledger.json'), 'utf8')).releases[CLI_MODEL];

it('Ctrl-C during the pass of release --mode tick withdraws the candidate the pass put live', async () => {
  const repo = await repoDeclaringV2();
  // The pass's traffic change, held at the platform: the signal comes while the step is under way.
  const deploying = platform.hold(
    ({ method, body }) => method === 'PUT' && Boolean((body as { canary?: unknown }).canary),
  );
  const run = await startRun(repo, ['release', '--pr', '8', '--mode', 'tick']);
  await deploying;
  run.kill('SIGINT');
  await run.said('stopping on Ctrl-C (SIGINT)');
  // What it waits for, not "the current step": a canary's step reads as its phase, minutes long.
  expect(run.out.stderr).toContain(
    "stopping on Ctrl-C (SIGINT): the traffic change or metrics read under way finishes first (not the phase: at most the target's settle-timeout), then",
  );
  platform.letGo();

  const [code, signal] = await run.exited;
  expect({ code, signal }).toEqual({ code: 130, signal: null });
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
  expect(run.out.stderr).toContain(
    `model-gate run: stopped by Ctrl-C (SIGINT): ${CLI_MODEL} v2 withdrawn; to analyse again: model-gate run reopen --pr 8`,
  );
  expect(await releaseOnRecord(repo)).toMatchObject({
    pr: 8,
    status: 'aborted',
    reason: 'stopped by Ctrl-C (SIGINT) mid-analysis',
  });
});

it('a second Ctrl-C mid-look gives back the watch lease: the next tick takes the live candidate on', async () => {
  const repo = await repoDeclaringV2();
  const run = await startRun(repo, ['release', '--pr', '9']);
  await run.said('analysing step 1 of 2 (10% of live traffic)');
  expect((await releaseOnRecord(repo)).watchedUntil).toEqual(expect.any(Number));
  // A look's metrics query, held: both signals come while the look is under way.
  await metrics.hold(({ method }) => method === 'GET');
  run.kill('SIGINT');
  await run.said('stopping on Ctrl-C (SIGINT)');
  run.kill('SIGINT');
  const [code, signal] = await run.exited;
  metrics.letGo();
  expect({ code, signal }).toEqual({ code: 130, signal: null });
  expect(run.out.stderr).toContain(
    `model-gate run: stopped on Ctrl-C (SIGINT) before this run's candidates were withdrawn: the candidate of ${CLI_MODEL} may still get live traffic: model-gate run abort --model ${CLI_MODEL} withdraws it`,
  );
  expect(await cliServing(sandbox.url)).toEqual({
    stable: { version: 'v1' },
    canary: { version: 'v2', weight: 10 },
  });
  const release = await releaseOnRecord(repo);
  expect(release).toMatchObject({ pr: 9, status: 'analysing' });
  expect(release.watchedUntil).toBeUndefined();

  // Not "the job of PR #9 looks again", nor a tick leaving the candidate to that job: it is gone.
  // With the look held, its first may or may not be on record yet ("waiting for errors" if it is).
  const next = new RegExp(
    `${CLI_MODEL} v2: analysing step 1 of 2(: waiting for errors| \\(10% of live traffic\\)); the next schedule tick \\(command: tick\\)`,
  );
  const status = await runCli(repo.dir, ['run', 'status'], env());
  expect(status.stdout).not.toContain('looks again until its max-wait');
  expect(status.stdout).toMatch(next);
  const tick = await runCli(repo.dir, ['run', 'tick'], env());
  expect(tick.stdout).not.toContain('leaves it to that job');
  expect(tick.stdout).toMatch(next);

  // And the command the exit line names withdraws it.
  const abort = await runCli(repo.dir, ['run', 'abort', '--model', CLI_MODEL], env());
  expect(abort.code).toBe(0);
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
});

it('Ctrl-C during a merge that promotes: the promotion stands, and the last line says so', async () => {
  // One short step that live traffic passes: the release is ready for its merge in seconds.
  const repo = await repoDeclaringV2(
    '{ type: canary, steps: [50], step-duration: 2s, min-requests: 20, interval: 1s }',
  );
  const traffic = startTraffic({ url: sandbox.url, model: CLI_MODEL, rps: 250, seed: 4 });
  try {
    const release = await runCli(repo.dir, ['run', 'release', '--pr', '10'], env());
    expect(release.stdout).toContain(`${CLI_MODEL}: v1 -> v2 (ready)`);
  } finally {
    await traffic.stop();
  }
  // The promotion's traffic change, held at the platform: the signal comes while it is under way.
  const promoting = platform.hold(
    ({ method, body }) =>
      method === 'PUT' && (body as { stable?: { version?: string } }).stable?.version === 'v2',
  );
  const run = await startRun(repo, ['merge', '--pr', '10']);
  await promoting;
  run.kill('SIGINT');
  await run.said('stopping on Ctrl-C (SIGINT)');
  platform.letGo();

  const [code, signal] = await run.exited;
  expect({ code, signal }).toEqual({ code: 130, signal: null });
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v2' } });
  expect(run.out.stderr).toContain(`model-gate run: stopped by Ctrl-C (SIGINT): ${CLI_MODEL} v2 promoted\n`);
  expect(await releaseOnRecord(repo)).toMatchObject({ pr: 10, status: 'promoted' });
});
