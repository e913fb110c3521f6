import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { run } from '../../src/action/main.js';
import { CLEANUP_STATE, post } from '../../src/action/post.js';
import { requestJson } from '../../src/core/http-json.js';
import { gitHubClient } from '../../src/github/client.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { parseFileCommands } from './actions-runner.js';
import { deliverEvent, type FakeGitHub, startFakeGitHub } from './fake-github/server.js';
import { sha } from './model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from './payloads.js';
import { workspaceWith } from './platform-pass-through.js';

/** The sandbox serving fraud-detector at `stable`, and the GitHub stand-in, a main-step test runs against. */
export async function startFraudWorld(
  stable: string,
  seed?: number,
): Promise<{ sandbox: Sandbox; github: FakeGitHub }> {
  const sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: 'fraud-detector', stable }],
    ...(seed === undefined ? {} : { seed }),
  });
  const github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  return { sandbox, github };
}

/**
 * A main-step test file's world, started once for the file (startFraudWorld, `seed` for the
 * sandbox's draws): on the stand-in, PR #`pr` moves models/fraud.yaml from v1 (sha(1)) to v2
 * (sha(2)). `step` runs the main step from src/ on it: `config` as .github/model-gate.yml, the
 * ledger a PR comment on the stand-in, its waits scaled down, `env` added to its environment (a run
 * id, an attempt). With `workspace` (a directory name's prefix), `world.workspace` holds `config`
 * too, for a step run as its own process (runStep). After the file, GitHub must have refused none
 * of the requests made.
 */
export function useFraudPrWorld(opts: { pr: number; config: string; seed?: number; workspace?: string }) {
  const world = {
    // Set by beforeAll.
    sandbox: undefined as unknown as Sandbox,
    github: undefined as unknown as FakeGitHub,
    workspace: undefined as unknown as string,
    step: (
      eventName: string,
      event: unknown,
      inputs: Record<string, string> = {},
      env: Record<string, string> = {},
    ) =>
      runMainStep({
        eventName,
        event,
        inputs: { ledger: 'github', ...inputs },
        config: opts.config,
        githubUrl: world.github.url,
        env: { SANDBOX_URL: world.sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05', ...env },
      }),
  };
  beforeAll(async () => {
    Object.assign(world, await startFraudWorld('v1', opts.seed));
    if (opts.workspace) world.workspace = await workspaceWith(opts.config, opts.workspace);
    const file = 'models/fraud.yaml';
    world.github.setFile(sha(1), file, 'version: v1\n');
    world.github.setFile(sha(2), file, 'version: v2\n');
    world.github.setPullRequest(opts.pr, {
      baseSha: sha(1),
      headSha: sha(2),
      files: [{ filename: file, status: 'modified' }],
    });
  });
  afterAll(async () => {
    expect(world.github?.violations).toEqual([]);
    await world.sandbox?.close();
    await world.github?.close();
  });
  return world;
}

/**
 * For a useFraudPrWorld({ pr: 7 }) file, once for the file: PR #7 changes .github/model-gate.yml
 * too, from `base` (at sha(1)) to `head` (at sha(2)), both files listed as the PR's by GitHub; live
 * traffic (200 requests a second) reaches fraud-detector on the sandbox.
 */
export function useConfigChangeInPr7(
  world: { sandbox: Sandbox; github: FakeGitHub },
  config: { base: string; head: string },
) {
  let traffic: TrafficGenerator;
  beforeAll(() => {
    world.github.setPullRequest(7, {
      baseSha: sha(1),
      headSha: sha(2),
      files: [
        { filename: 'models/fraud.yaml', status: 'modified' },
        { filename: '.github/model-gate.yml', status: 'modified' },
      ],
    });
    world.github.setFile(sha(1), '.github/model-gate.yml', config.base);
    world.github.setFile(sha(2), '.github/model-gate.yml', config.head);
    traffic = startTraffic({ url: world.sandbox.url, model: 'fraud-detector', rps: 200, seed: 10 });
  });
  afterAll(() => traffic?.stop());
}

/**
 * On the ledger the GitHub stand-in keeps (ledger: github): fraud-detector v2 serves, promoted from
 * v1 at sha(2) (by PR #`pr` when given), a Deployment to model-gate/fraud-detector whose status is
 * success, made with the REST API as the action makes it.
 */
export async function fraudPromotedOnRecord(github: FakeGitHub, pr?: number): Promise<void> {
  const repo = { owner: 'Codertocat', repo: 'Hello-World' };
  const client = getOctokit('ghs_x', { baseUrl: github.url });
  const { data } = await client.rest.repos.createDeployment({
    ...repo,
    ref: sha(2),
    task: 'deploy',
    environment: 'model-gate/fraud-detector',
    auto_merge: false,
    required_contexts: [],
    payload: {
      kind: 'promotion',
      version: 'v2',
      previous: 'v1',
      ...(pr === undefined ? {} : { pr }),
      summary: 'passed',
    },
    description: 'promotion v1 -> v2',
  });
  if (!('id' in data)) throw new Error('no deployment made');
  await client.rest.repos.createDeploymentStatus({ ...repo, deployment_id: data.id, state: 'success' });
}

/**
 * On the ledger the GitHub stand-in keeps, models/fraud.yaml saying v2 at the dispatch's commit
 * sha(9): fraud-detector v2 serves, promoted from v1 by PR #`pr` (sha(1) to sha(2)), recorded by the
 * action's own GitHubLedger.
 */
export async function fraudPromotedByPr(github: FakeGitHub, pr: number): Promise<void> {
  github.setFile(sha(9), 'models/fraud.yaml', 'version: v2\n');
  github.setPullRequest(pr, { baseSha: sha(1), headSha: sha(2), files: [] });
  const client = getOctokit('ghs_x', { baseUrl: github.url });
  await new GitHubLedger({ client, repo: { owner: 'Codertocat', repo: 'Hello-World' }, sha: sha(9) }).record({
    model: 'fraud-detector',
    kind: 'promotion',
    version: 'v2',
    previous: 'v1',
    at: 0,
    pr,
    summary: 'v2 passed every gate',
  });
}

/**
 * `command: rollback` of fraud-detector (no to-version) by workflow_dispatch at sha(9): the main
 * step from src/ on FRAUD_ON_SANDBOX, its ledger the stand-in's, its waits scaled down. `event` is
 * the payload, by default as workflowDispatchEvent makes it.
 */
export const dispatchFraudRollback = (
  world: { sandbox: Sandbox; github: FakeGitHub },
  event = workflowDispatchEvent({ command: 'rollback', model: 'fraud-detector' }),
) =>
  runMainStep({
    eventName: 'workflow_dispatch',
    event,
    inputs: { ledger: 'github', command: 'rollback', model: 'fraud-detector' },
    config: FRAUD_ON_SANDBOX,
    githubUrl: world.github.url,
    env: { SANDBOX_URL: world.sandbox.url, GITHUB_SHA: sha(9), MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });

/** The ledger the GitHub stand-in keeps, as a job at sha(1) reads and writes it: the action's client, its waits cut short. */
export const fraudLedgerAtSha1 = (github: FakeGitHub) =>
  new GitHubLedger({
    client: gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.001 }),
    repo: { owner: 'Codertocat', repo: 'Hello-World' },
    sha: sha(1),
  });

/** On fraudLedgerAtSha1: PRs #2 and #3 promoted fraud-detector v1 -> v2 -> v3, which models/fraud.yaml says at sha(1). */
export async function fraudPromotedTwice(github: FakeGitHub): Promise<void> {
  github.setFile(sha(1), 'models/fraud.yaml', 'version: v3\n');
  const ledger = fraudLedgerAtSha1(github);
  for (const [pr, previous, version] of [
    [2, 'v1', 'v2'],
    [3, 'v2', 'v3'],
  ] as const) {
    github.setPullRequest(pr, { baseSha: sha(pr * 10), headSha: sha(pr * 10 + 1), files: [] });
    await ledger.record({
      model: 'fraud-detector',
      kind: 'promotion',
      version,
      previous,
      at: pr,
      pr,
      summary: 'passed',
    });
  }
}

/** fraud-detector's history on fraudLedgerAtSha1, oldest first, as `kind previous->version`. */
export const fraudHistory = async (github: FakeGitHub) =>
  (await fraudLedgerAtSha1(github).history('fraud-detector')).map(
    (e) => `${e.kind} ${e.previous}->${e.version}`,
  );

/** What the sandbox serves of fraud-detector, as its traffic API reads it back. */
export const fraudServing = async (sandbox: Sandbox) =>
  (await requestJson('GET', `${sandbox.url}/admin/models/fraud-detector/traffic`)).body;

/** fraud-detector on the sandbox at \${SANDBOX_URL}: a two-step canary judged by its error rate. */
export const FRAUD_ON_SANDBOX = `version: 1
defaults:
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
  strategy: { type: canary, steps: [10, 50] }
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

/**
 * fraud-detector (its version in models/fraud.yaml) on the sandbox at \${SANDBOX_URL}, its target and
 * metrics, judged by its error rate (max 5%) under the defaults' `strategy` (a YAML flow map);
 * `moreModels` is appended under `models:`.
 */
export const fraudCanaryConfig = (strategy: string, moreModels = '') => `version: 1
defaults:
  strategy: ${strategy}
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
${moreModels}`;

/**
 * fraud-detector (its version in `file`) on the sandbox at \${SANDBOX_URL}, its target and metrics: an
 * A/B on half the users (sticky by x-user-id, 10 minutes between analyses), judged by its split
 * (sample-ratio mismatch) and its conversion.
 */
export const fraudAbConfig = (file: string) => `version: 1
models:
  fraud-detector:
    source: { file: ${file}, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: ab, split: 50, sticky-header: x-user-id, min-requests: 200, interval: 10m }
    gates:
      - { name: split, kind: srm, units: users }
      - { name: conversion, kind: conversion, margin: 10%, exposures: exposed-users, conversions: converted-users }
`;

/** A second model, churn, whose sandbox cannot be reached: appended to FRAUD_ON_SANDBOX. */
export const UNREACHABLE_CHURN = `  churn:
    source: { file: models/churn.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

export interface MainStepOptions {
  eventName: string;
  event: unknown;
  /** The action's inputs (`github-token` and a local `ledger` file unless given). */
  inputs: Record<string, string>;
  /** The text of .github/model-gate.yml. */
  config: string;
  /** The stand-in's URL, as GITHUB_API_URL. */
  githubUrl: string;
  env?: Record<string, string>;
}

export interface MainStepRun {
  outputs: Record<string, string>;
  /** The step's `::error::`, when it failed. */
  error?: string;
  exitCode: number | undefined;
  /** What the step wrote to stdout: the log and its workflow commands (::notice::, ::warning::). */
  log: string;
  /** The report file (`report-path`), the job summary's text; empty when none was written. */
  report: string;
}

/**
 * The action's main step, run in this process from src/ the way the runner runs it: inputs as
 * INPUT_*, the event in a file, outputs read back from GITHUB_OUTPUT, the log from stdout.
 * process.env and the exit code are put back afterwards. A first attempt's event moves the
 * stand-in's PR first, as GitHub had it before sending the event (deliverEvent).
 */
export async function runMainStep(opts: MainStepOptions): Promise<MainStepRun> {
  deliverEvent({ ...opts, runAttempt: opts.env?.GITHUB_RUN_ATTEMPT });
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-main-'));
  await mkdir(join(dir, '.github'));
  await writeFile(join(dir, '.github', 'model-gate.yml'), opts.config);
  const files = { event: join(dir, 'event.json'), output: join(dir, 'output'), state: join(dir, 'state') };
  await writeFile(files.event, JSON.stringify(opts.event));
  await writeFile(files.output, '');
  await writeFile(files.state, '');
  const env: Record<string, string> = {
    GITHUB_EVENT_NAME: opts.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_WORKSPACE: dir,
    GITHUB_REPOSITORY: 'Codertocat/Hello-World',
    GITHUB_API_URL: opts.githubUrl,
    GITHUB_RUN_ID: '4242',
    RUNNER_TEMP: dir,
    ...opts.env,
  };
  const inputs = {
    config: join(dir, '.github', 'model-gate.yml'),
    'github-token': 'ghs_fake_token',
    ledger: join(dir, 'ledger.json'),
    ...opts.inputs,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const saved = { env: process.env, exitCode: process.exitCode };
  process.env = { PATH: saved.env.PATH, ...env };
  process.exitCode = undefined;
  let log = '';
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    log += String(chunk);
    return true;
  });
  let exitCode: number | undefined;
  try {
    await run(process.env);
  } finally {
    quiet.mockRestore();
    exitCode = process.exitCode === undefined ? undefined : Number(process.exitCode);
    // core.setFailed sets the exit code of this (the test runner's) process.
    process.env = saved.env;
    process.exitCode = saved.exitCode;
  }
  const outputs = parseFileCommands(await readFile(files.output, 'utf8'));
  const error = /^::error::(.*)$/m.exec(log)?.[1];
  const reportPath = outputs['report-path'];
  const report = reportPath ? await readFile(reportPath, 'utf8') : '';
  // Everything the step wrote there is read: thousands of runs a suite would otherwise leave behind.
  await rm(dir, { recursive: true, force: true });
  return { outputs, exitCode, log, report, ...(error === undefined ? {} : { error }) };
}

/**
 * fraudPr's fraud-detector (its version in fraud.yaml) on the sandbox at `url`, its target and
 * metrics: a two-step canary judged by its error rate (max 2%).
 */
export const fraudPrOnSandbox = (url: string) => `version: 1
models:
  fraud-detector:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "${url}" }
    metrics: { type: sandbox, url: "${url}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

export interface PostStepRun {
  /** The step's `::error::`, when it failed. */
  error?: string;
  /** Its `::debug::` lines, one a line. */
  debug: string;
  /** What the step wrote to stdout: the log and its workflow commands (::warning::, ::debug::). */
  log: string;
}

/**
 * The post step of a PR's job (fraudPr's PR #7, sha(1) to sha(2), unless `pr` says another), run in
 * this process from src/ the way the runner runs it, after a main step that saved fraud-detector's
 * `candidate` (v2 unless given) as possibly getting live traffic: `config` as
 * .github/model-gate.yml, `ledger` as the ledger input, `model` as the `model` input (a matrix
 * job's), `env` added to its environment. process.env and the exit code are put back afterwards.
 */
export async function runFraudPrPostStep(opts: {
  config: string;
  ledger: string;
  githubUrl: string;
  pr?: { number: number; base: string; head: string };
  candidate?: string;
  model?: string;
  env?: Record<string, string>;
}): Promise<PostStepRun> {
  const { number, ...shas } = opts.pr ?? { number: 7, base: sha(1), head: sha(2) };
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-post-'));
  await mkdir(join(dir, '.github'));
  await writeFile(join(dir, '.github', 'model-gate.yml'), opts.config);
  const eventPath = join(dir, 'event.json');
  await writeFile(eventPath, JSON.stringify(pullRequestEvent('opened', shas, { number })));
  const saved = { env: process.env, exitCode: process.exitCode };
  process.env = {
    PATH: saved.env.PATH,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: dir,
    GITHUB_REPOSITORY: 'Codertocat/Hello-World',
    GITHUB_API_URL: opts.githubUrl,
    GITHUB_RUN_ID: '4242',
    RUNNER_TEMP: dir,
    ...opts.env,
    INPUT_CONFIG: join(dir, '.github', 'model-gate.yml'),
    'INPUT_GITHUB-TOKEN': 'ghs_fake_token',
    INPUT_LEDGER: opts.ledger,
    ...(opts.model === undefined ? {} : { INPUT_MODEL: opts.model }),
    // What the main step saved: the candidate may have live traffic.
    [`STATE_${CLEANUP_STATE}`]: JSON.stringify([
      { model: 'fraud-detector', from: 'v1', to: opts.candidate ?? 'v2' },
    ]),
  };
  let log = '';
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    log += String(chunk);
    return true;
  });
  try {
    await post(process.env);
  } finally {
    quiet.mockRestore();
    process.env = saved.env;
    process.exitCode = saved.exitCode;
  }
  await rm(dir, { recursive: true, force: true });
  const debug = log.split('\n').filter((l) => l.startsWith('::debug::'));
  const error = /^::error::(.*)$/m.exec(log)?.[1];
  return { debug: debug.join('\n'), log, ...(error === undefined ? {} : { error }) };
}

/**
 * A post-step test file's world, started once for the file (startFraudWorld): the sandbox serving
 * fraud-detector v1 and the GitHub stand-in. `postStep(ledger)` runs fraudPr's post step on them
 * (runFraudPrPostStep), its config fraudPrOnSandbox, its ledger the file `ledger`.
 */
export function useFraudPrPostStep() {
  const world = {
    // Set by beforeAll.
    sandbox: undefined as unknown as Sandbox,
    github: undefined as unknown as FakeGitHub,
    postStep: (ledger: string) =>
      runFraudPrPostStep({
        config: fraudPrOnSandbox(world.sandbox.url),
        ledger,
        githubUrl: world.github.url,
      }),
  };
  beforeAll(async () => {
    Object.assign(world, await startFraudWorld('v1'));
  });
  afterAll(async () => {
    await world.sandbox?.close();
    await world.github?.close();
  });
  return world;
}
