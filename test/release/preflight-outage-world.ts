import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import { gitHubClient } from '../../src/github/client.js';
import { setReleaseStatus } from '../../src/github/commit-status.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { metricsFor, targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type RunOptions, type RunResult } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { type FakeDatadog, startFakeDatadog } from '../support/metrics-datadog.js';
import { sha } from '../support/model-config.js';

export const MODEL = 'fraud-detector';
/** The key the Datadog stand-in accepts; any other is refused with a 403. */
export const API_KEY = 'dd-api-key-0123456789';
const APP_KEY = 'dd-app-key-0123456789';
const SCOPE = 'model:{{model}},slot:{{slot}},version:{{version}}';
const REQUESTS = `sum:model.requests{${SCOPE}}.as_count()`;
const ERROR_RATE = `sum:model.errors{${SCOPE}}.as_count() / ${REQUESTS}`;

/**
 * A test file's world for PR #7 moving fraud-detector v1 to v2 by a canary whose metrics are
 * Datadog's: the real sandbox target, the Datadog API stand-in (`dd`, its `mode` the fault it
 * answers with), GitHub's stand-in and a scratch dir, started once for the file. Before each test
 * Datadog answers again and v1 serves alone; after the file, GitHub must have refused no request.
 * `prOnDatadog(apiKey)` gives PR #7's jobs on one head, file ledger and fake clock.
 */
export function usePreflightOutageWorld() {
  const world = {
    // Set by beforeAll.
    sandbox: undefined as unknown as Sandbox,
    dd: undefined as unknown as FakeDatadog,
    github: undefined as unknown as FakeGitHub,
    scratch: '',
    prOnDatadog,
    served,
    commitStatus,
  };

  beforeAll(async () => {
    world.sandbox = await startSandbox({
      modelsDir: demoModelsDir,
      endpoints: [{ model: MODEL, stable: 'v1' }],
    });
    world.dd = await startFakeDatadog({ apiKey: API_KEY, applicationKey: APP_KEY, series: [] });
    world.github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
    world.scratch = await mkdtemp(join(tmpdir(), 'model-gate-preflight-outage-'));
  });
  afterAll(async () => {
    expect(world.github?.violations).toEqual([]);
    await world.github?.close();
    await world.dd?.close();
    await world.sandbox?.close();
    if (world.scratch) await rm(world.scratch, { recursive: true, force: true });
  });
  beforeEach(async () => {
    world.dd.mode = 'ok';
    await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
    });
  });

  /**
   * PR #7's jobs (one pass each), run as often as asked on the same head, a fresh file ledger and
   * clock, Datadog read with `apiKey`. `run` is a job of the PR's event (opened by default) with its
   * report; `comment` PR #7's comment as its next write renders it (the ledger's release, `skipped`);
   * `lines` everything the jobs logged.
   */
  async function prOnDatadog(apiKey = API_KEY) {
    const yaml = `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${world.sandbox.url}" }
    metrics: { type: datadog, url: "${world.dd.url}", api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "${REQUESTS}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 30s }
    gates:
      - { name: errors, kind: threshold, query: "${ERROR_RATE}", max: 0.02 }
`;
    const { config } = parseConfig(yaml, { DD_API_KEY: apiKey, DD_APP_KEY: APP_KEY });
    const clock = new FakeClock(Date.now());
    const lines: string[] = [];
    const ledger = fileLedger(join(await mkdtemp(join(world.scratch, 'ledger-')), 'ledger.json'));
    const ports: Ports = {
      ledger,
      reader: memoryFileReader({
        [sha(1)]: { 'model.yaml': 'version: v1\n' },
        [sha(2)]: { 'model.yaml': 'version: v2\n' },
      }),
      clock,
      log: { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
      metricsFor,
      targetFor,
    };
    const run = async (
      action: 'opened' | 'closed' = 'opened',
      merged = false,
      more: Partial<RunOptions> = {},
    ) => {
      const event = { action, number: 7, baseSha: sha(1), headSha: sha(2), merged };
      const opts = { mode: 'tick', maxWaitMs: 3_600_000, dryRun: false, ...more } as const;
      const result = await handlePullRequest(config, event, ports, opts);
      return { result, report: renderMarkdown(config, result, { now: clock.now() }) };
    };
    const comment = async (skipped: RunResult['skipped']) => {
      const stored = (await ledger.release(MODEL)) as Release;
      return { stored, text: renderMarkdown(config, { releases: [stored], skipped }, { now: clock.now() }) };
    };
    return { clock, ledger, lines, run, comment };
  }

  /** What the sandbox serves for the model now. */
  async function served() {
    return (await requestJson('GET', `${world.sandbox.url}/admin/models/${MODEL}/traffic`)).body;
  }

  /** The commit status the release's record gives PR #7's head, as GitHub stores it. */
  async function commitStatus(release: Release) {
    const client = gitHubClient({
      token: 'ghs_x',
      baseUrl: world.github.url,
      warn: () => {},
      waitScale: 0.05,
    });
    await setReleaseStatus(client, { owner: 'Codertocat', repo: 'Hello-World' }, release);
    return world.github.commitStatuses(sha(2)).at(-1);
  }

  return world;
}
