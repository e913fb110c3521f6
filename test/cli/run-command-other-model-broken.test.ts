import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// In an incident, `model-gate run abort --model fraud-detector` must not be stopped by another
// model's config (ranker's URL comes from a variable only its own job sets), as the action's
// workflow_dispatch is not: ranker is warned about and left out. A command on every model still
// fails on it, saying how to name one. In its own process, on the real sandbox, with a ledger file.
const CONFIG = `version: 1
models:
  fraud-detector:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [50] }
    gates: []
  ranker:
    source: { file: ranker.yaml, key: version }
    target: { type: http, url: "\${RANKER_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [50] }
    gates: []
`;

let sandbox: Sandbox;
let repo: GitRepo;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
  });
  repo = await GitRepo.create();
  await repo.commit(
    { '.github/model-gate.yml': CONFIG, 'fraud.yaml': 'version: v1\n', 'ranker.yaml': 'version: r1\n' },
    'v1',
  );
});

afterAll(async () => {
  await sandbox?.close();
});

it('a command naming one model runs, warning that the broken one is left out', async () => {
  const ledger = join(repo.dir, 'ledger.json');
  const env = { SANDBOX_URL: sandbox.url, RANKER_URL: '' };
  const run = await runCli(repo.dir, ['run', 'status', '--model', 'fraud-detector', '--ledger', ledger], env);
  expect(run.stderr).toContain('model ranker ignored: this command acts on fraud-detector only');
  expect(run.stderr).toContain('models.ranker.target.url');
  expect(run.stdout).toContain('Status');
  expect(run.code).toBe(0);

  const all = await runCli(repo.dir, ['run', 'status', '--ledger', ledger], env);
  expect(all.stderr).toContain('models.ranker.target.url');
  expect(all.stderr).toContain('name one with `--model fraud-detector`');
  expect(all.code).toBe(1);
}, 60_000);
