import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliServing, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';
import { type HoldingProxy, type ProxiedRequest, startHoldingProxy } from '../support/holding-proxy.js';

// A ratio gate counting "erors" used to pass the config check: `run release` put v2 on live
// traffic, then rolled it back when the first look could not run. The config is refused first,
// and the target is never asked to change (every request to it goes through a recording proxy).
vi.setConfig({ testTimeout: 90_000 });

const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${TARGET_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  ${CLI_MODEL}:
    source: { file: models/${CLI_MODEL}/model.yaml, key: version }
    strategy: { type: canary, steps: [10], step-duration: 20s, min-requests: 150, interval: 1s }
    gates:
      - { name: errors, kind: ratio, events: erors, max-increase: 10% }
`;

let sandbox: Sandbox;
let proxy: HoldingProxy;
let traffic: TrafficGenerator | undefined;
let repo: GitRepo;
const toTarget: ProxiedRequest[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: CLI_MODEL, stable: 'v1' }] });
  // Live traffic, so that a release that did start would reach its first look.
  traffic = startTraffic({ url: sandbox.url, model: CLI_MODEL, rps: 250, seed: 4 });
  proxy = await startHoldingProxy(sandbox.url);
  // Never holds one: it only records each request the target sends.
  proxy.holdNext(
    (req) => {
      toTarget.push(req);
      return false;
    },
    async () => {},
  );
  repo = await repoAtV1(CONFIG);
});

afterAll(async () => {
  await traffic?.stop();
  await proxy?.close();
  await sandbox?.close();
});

it('run release refuses a misspelt sandbox count name (exit 1, one line) before any traffic change', async () => {
  await declareIn(repo, 'v2');
  const run = await runCli(repo.dir, ['run', 'release'], { SANDBOX_URL: sandbox.url, TARGET_URL: proxy.url });
  expect(toTarget.filter((req) => req.method !== 'GET')).toEqual([]);
  expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
  expect(run.stderr).toBe(
    'model-gate run: .github/model-gate.yml:10:46: models.fraud-detector.gates[0].events: unknown sandbox count query "erors", did you mean "errors"? (known: requests, errors, nulls, answered, conversions, exposures, users, exposed-users, converted-users, dropped, offered)\n',
  );
  expect(run.code).toBe(1);
});
