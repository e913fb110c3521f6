import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRunUntil } from '../support/cli-run-live.js';
import { CLI_MODEL, cliRunConfig, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';
import {
  killSandboxProcesses,
  type SandboxProcess,
  startSandboxProcess,
} from '../support/sandbox-process.js';

// `model-gate run release` over a PR that changes two models, stopped by Ctrl-C while one is
// analysing: its report must still say what the run made of the other one, as the report of the
// same run left to finish does, not only the candidate it withdrew.
vi.setConfig({ testTimeout: 90_000 });
const STEPS = '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1000000, interval: 1s }';
// scorer is served by a sandbox of its own, whose stable version is v1: a PR that declares scorer
// v1 has nothing to deploy for it.
const CONFIG = `${cliRunConfig(STEPS)}  scorer:
    source: { file: models/scorer/model.yaml, key: version }
    target: { type: sandbox, url: "\${SCORER_URL}", model: scorer }
    strategy: ${STEPS}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

let sandbox: SandboxProcess;
let scorer: SandboxProcess;
let models: string;
let repo: GitRepo;
beforeAll(async () => {
  sandbox = await startSandboxProcess(['--traffic', '50']);
  // The sandbox serves the models of a folder: scorer, a copy of fraud-detector's versions.
  models = await mkdtemp(join(tmpdir(), 'model-gate-scorer-'));
  await cp(join('examples', 'sandbox', 'models', CLI_MODEL), join(models, 'scorer'), { recursive: true });
  scorer = await startSandboxProcess(['--models-dir', models, '--model', 'scorer', '--stable', 'v1']);
  repo = await repoAtV1(CONFIG);
  await repo.commit({ 'models/scorer/model.yaml': 'version: v0\n' }, 'scorer v0');
  await declareIn(repo, 'v2');
  await writeFile(join(repo.dir, 'models', 'scorer', 'model.yaml'), 'version: v1\n');
});
afterAll(async () => {
  killSandboxProcesses();
  await rm(models, { recursive: true, force: true });
});

describe('model-gate run release over two models, stopped by Ctrl-C mid-analysis', () => {
  it('reports the other model too: scorer v1 is already the stable version', async () => {
    const run = await startRunUntil(
      repo.dir,
      ['run', 'release', '--pr', '2'],
      { ...process.env, SANDBOX_URL: sandbox.url, SCORER_URL: scorer.url },
      `${CLI_MODEL}: analysing step 1 of 2 (10% of live traffic)`,
    );
    run.kill('SIGINT');
    const [exitCode] = await run.exited;
    expect(exitCode).toBe(130);
    expect(run.stdout()).toContain(
      [
        'model-gate: ⏹️ Withdrawn',
        `  ${CLI_MODEL} v2 was withdrawn: stopped by Ctrl-C (SIGINT) mid-analysis; v1 serves`,
        '  scorer: v1 is already the stable version',
      ].join('\n'),
    );
  });
});
