import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliRunConfig, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';

// A record ended by hand (`model-gate run abort` under a config whose sandbox moved to another port)
// touches neither platform. Its report used to keep the candidate's last phase "running", as if the
// analysis went on: the phase row must say the record was ended by hand.
vi.setConfig({ testTimeout: 90_000 });
const CONFIG = cliRunConfig('{ type: canary, steps: [10, 50], step-duration: 10m, interval: 1s }', 0.05);

let repo: GitRepo;
let first: Sandbox;
let second: Sandbox;
const start = () =>
  startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: CLI_MODEL, stable: 'v1' }] });
const run = (s: Sandbox, ...args: string[]) => runCli(repo.dir, ['run', ...args], { SANDBOX_URL: s.url });

beforeEach(async () => {
  repo = await repoAtV1(CONFIG);
  await declareIn(repo, 'v2');
  [first, second] = await Promise.all([start(), start()]);
});
afterEach(() => Promise.all([first?.close(), second?.close()]));

/** The phase table's row of `phase` in a report on stdout. */
const phaseRow = (stdout: string, phase: string) =>
  stdout.split('\n').find((line) => line.trimStart().startsWith(phase));

it('the phase of a record ended by hand says so, not "running"', async () => {
  const released = await run(first, 'release', '--mode', 'tick');
  expect(released.code).toBe(0);
  expect(phaseRow(released.stdout, 'step 1 of 2')).toMatch(/ running$/);

  const aborted = await run(second, 'abort');
  expect(aborted.code).toBe(0);
  expect(aborted.stdout).toContain('Record ended by hand');
  const row = phaseRow(aborted.stdout, 'step 1 of 2');
  expect(row).toMatch(/ aborted by hand \(not withdrawn\)$/);
  expect(row).not.toContain('running');
});
