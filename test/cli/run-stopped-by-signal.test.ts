import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { runCli } from '../support/cli-process.js';
import { startRunUntil } from '../support/cli-run-live.js';
import { cliRunConfig, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';
import {
  killSandboxProcesses,
  type SandboxProcess,
  startSandboxProcess,
} from '../support/sandbox-process.js';

// `model-gate run release` stopped on a laptop (Ctrl-C, or SIGTERM from a wrapper) while its
// candidate has live traffic: in Actions the post step withdraws it; here the run itself must,
// or the candidate stays live for up to max-wait with nothing watching (its lease keeps ticks away).
vi.setConfig({ testTimeout: 90_000 });
const MODEL = 'fraud-detector';
// Gates that cannot decide for ten minutes: the candidate stays on its first step until stopped.
const CONFIG = cliRunConfig(
  '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1000000, interval: 1s }',
);

let sandbox: SandboxProcess;
let repo: GitRepo;
beforeAll(async () => {
  sandbox = await startSandboxProcess(['--traffic', '50']);
  repo = await repoAtV1(CONFIG);
  await declareIn(repo, 'v2');
});
afterAll(() => killSandboxProcesses());

const env = () => ({ ...process.env, SANDBOX_URL: sandbox.url });
const serving = async () =>
  (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body as unknown;

/** `model-gate run release --pr N` as its own process; resolves once its candidate has live traffic. */
const releaseUntilLive = (pr: number) =>
  // Logged once the step's traffic change is read back from the sandbox.
  startRunUntil(
    repo.dir,
    ['run', 'release', '--pr', String(pr)],
    env(),
    'analysing step 1 of 2 (10% of live traffic)',
  );

describe('model-gate run release stopped while its candidate has live traffic', () => {
  it.each([
    ['SIGINT', 130, 'Ctrl-C (SIGINT)'],
    ['SIGTERM', 143, 'SIGTERM'],
  ] as const)(
    'by %s: withdraws it, records why, exits %i, and status tells the truth',
    async (signal, code, name) => {
      const pr = signal === 'SIGINT' ? 3 : 4;
      const run = await releaseUntilLive(pr);
      expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });

      run.kill(signal);
      const [exitCode, killedBy] = await run.exited;
      expect({ exitCode, killedBy }).toEqual({ exitCode: code, killedBy: null });
      expect(await serving()).toEqual({ stable: { version: 'v1' } });
      expect(run.stderr()).toContain(
        `model-gate run: stopped by ${name}: ${MODEL} v2 withdrawn; to analyse again: model-gate run reopen --pr ${pr}`,
      );
      const ledger = JSON.parse(await readFile(join(repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
      expect(ledger.releases[MODEL]).toMatchObject({
        pr,
        status: 'aborted',
        reason: `stopped by ${name} mid-analysis`,
      });
      expect(ledger.releases[MODEL].withdrawPending).toBeUndefined();

      // Not "continues after this job's max-wait", nor a tick leaving it to a job that is gone.
      const status = await runCli(repo.dir, ['run', 'status'], { SANDBOX_URL: sandbox.url });
      expect(status.stdout).toMatch(/^model-gate: ℹ️ Status: nothing in flight$/m);
      expect(status.stdout).toContain(`${MODEL} serves v1`);
      const tick = await runCli(repo.dir, ['run', 'tick'], { SANDBOX_URL: sandbox.url });
      expect(tick.stdout).toContain('no release is analysing');
    },
  );
});
