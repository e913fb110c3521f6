import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// A branch that releases v2, then puts the version back to v1 and is merged: `model-gate run`
// on a real repository and a real sandbox withdraws v2 on the push and promotes nothing on merge.
vi.setConfig({ testTimeout: 90_000 });
const MODEL = 'fraud-detector';
const FILE = `models/${MODEL}/model.yaml`;
const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  ${MODEL}:
    source: { file: ${FILE}, key: version }
    strategy: { type: canary, steps: [50], step-duration: 20s, min-requests: 150, interval: 1s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let repo: GitRepo;
let ledger: string;

const run = (event: string) =>
  runCli(repo.dir, ['run', event, '--base', 'main', '--head', 'pr1', '--pr', '7', '--ledger', ledger], {
    SANDBOX_URL: sandbox.url,
  });
const serving = async () =>
  (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body as unknown;
/** Commit `version` on the checked-out branch, and return the commit's short SHA. */
async function declare(version: string): Promise<string> {
  await writeFile(join(repo.dir, FILE), `version: ${version}\n`);
  repo.git('commit', '-qam', version);
  return repo.git('rev-parse', '--short=7', 'HEAD').trim();
}

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 5,
  });
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 250, seed: 6 });
  repo = await GitRepo.create();
  await repo.commit({ '.github/model-gate.yml': CONFIG, [FILE]: 'version: v1\n' }, 'v1');
  repo.git('checkout', '-q', '-b', 'pr1');
  ledger = join(await mkdtemp(join(tmpdir(), 'model-gate-dropped-cli-')), 'ledger.json');
});
afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
});

describe('model-gate run on a branch that puts its version back', () => {
  it('withdraws the candidate on the push, and the merge promotes nothing', async () => {
    await declare('v2');
    const released = await run('release');
    expect(released.stdout).toMatch(/^model-gate: ✅ Ready to merge$/m);
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });

    const head = await declare('v1');
    const pushed = await run('release');
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/^model-gate: ⏹️ Withdrawn$/m);
    expect(pushed.stdout).toContain(
      `the PR no longer changes ${MODEL}'s version: head ${head} declares v1, as the base does; v2 withdrawn`,
    );
    expect(await serving()).toEqual({ stable: { version: 'v1' } });

    const merged = await run('merge');
    expect(merged.code).toBe(0);
    expect(merged.stdout).not.toContain('Promoted');
    expect(merged.stdout).toContain('v2 was already withdrawn');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(JSON.parse(await readFile(ledger, 'utf8')).history).toEqual([]);
  });
});
