import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';
import {
  ECHO_SECRETS,
  type EchoGate,
  echoWebhookConfig,
  shownSecrets,
  startEchoGate,
} from '../support/standins/header-echo-webhook.js';

// `model-gate run` masks secrets on the terminal; its ledger file is shared, committed or uploaded
// as an artifact: a webhook's note quoting the secrets it was sent must be masked there too.

let sandbox: Sandbox;
// The webhook quoting what it was sent, and traffic for its gate to judge.
let gate: EchoGate;
let repo: GitRepo;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: CLI_MODEL, stable: 'v1' }],
    seed: 3,
  });
  gate = await startEchoGate(sandbox.url, 250);
  repo = await repoAtV1(echoWebhookConfig(gate.port, `models/${CLI_MODEL}/model.yaml`));
  await declareIn(repo, 'v2');
});
afterAll(async () => {
  await gate?.close();
  await sandbox?.close();
  if (repo) await rm(repo.dir, { recursive: true, force: true });
});

describe("model-gate run release, a webhook's note quoting the secrets it was sent", () => {
  it('shows no secret on stdout or in the ledger file', async () => {
    const secrets = { ...ECHO_SECRETS, API_TOKEN: 'tok_abcdefgh12345' };
    const run = await runCli(
      repo.dir,
      ['run', 'release', '--config', '.github/model-gate.yml', '--ledger', 'l.json'],
      { SANDBOX_URL: sandbox.url, ...secrets },
    );
    expect(run.stdout).toContain('hook: path=…?… auth=*** org=***');
    const stored = await readFile(join(repo.dir, 'l.json'), 'utf8');
    expect(stored).toContain('"reason": "hook: hook: path=…?… auth=*** org=***"');
    expect(shownSecrets(stored, secrets)).toEqual([]);
    expect(shownSecrets(run.stdout + run.stderr, secrets)).toEqual([]);
    expect(run.code).toBe(1);
  });
});
