import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// PR #7 opened while Datadog answered 429: the metrics check before traffic ended the release
// failed, its words saying to re-run the job once Datadog answers (a re-run analyses that head
// again while the PR is open). Then the PR merged: its merge report still said to re-run the job,
// and "a re-run of this job analyses this commit again", beside "the PR is merged, so no new commit
// or reopening analyses it again"; a re-run after the merge starts nothing. Once merged, every
// line (report, comment, commit status) gives the merged PR's advice, and none says to re-run.
// The real sandbox target, the Datadog API stand-in, a file ledger, PR #7 moving v1 to v2.
const MODEL = 'fraud-detector';
const API_KEY = 'dd-api-key-0123456789';
const APP_KEY = 'dd-app-key-0123456789';
const SCOPE = 'model:{{model}},slot:{{slot}},version:{{version}}';
const REQUESTS = `sum:model.requests{${SCOPE}}.as_count()`;
const ERROR_RATE = `sum:model.errors{${SCOPE}}.as_count() / ${REQUESTS}`;
const MERGED_ADVICE = 'the PR is merged, so no new commit or reopening analyses it again: to release v2';

let sandbox: Sandbox;
let dd: FakeDatadog;
let github: FakeGitHub;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  dd = await startFakeDatadog({ apiKey: API_KEY, applicationKey: APP_KEY, series: [] });
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  scratch = await mkdtemp(join(tmpdir(), 'model-gate-preflight-merged-'));
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
  await dd?.close();
  await sandbox?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const config = () =>
  parseConfig(
    `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${sandbox.url}" }
    metrics: { type: datadog, url: "${dd.url}", api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "${REQUESTS}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 30s }
    gates:
      - { name: errors, kind: threshold, query: "${ERROR_RATE}", max: 0.02 }
`,
    { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY },
  ).config;

/** PR #7's jobs (one pass each) on the same head, ledger and clock: opened, then merged. */
async function prOnDatadog() {
  const clock = new FakeClock(Date.now());
  const ledger = fileLedger(join(await mkdtemp(join(scratch, 'ledger-')), 'ledger.json'));
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'model.yaml': 'version: v1\n' },
      [sha(2)]: { 'model.yaml': 'version: v2\n' },
    }),
    clock,
    log: { info: () => {}, warn: () => {} },
    metricsFor,
    targetFor,
  };
  const run = async (action: 'opened' | 'closed', merged: boolean, more: Partial<RunOptions> = {}) => {
    const event = { action, number: 7, baseSha: sha(1), headSha: sha(2), merged };
    const opts = { mode: 'tick', maxWaitMs: 3_600_000, dryRun: false, ...more } as const;
    const result = await handlePullRequest(config(), event, ports, opts);
    return { result, report: renderMarkdown(config(), result, { now: clock.now() }) };
  };
  /** PR #7's comment as its next write renders it: the release the ledger holds, and `skipped`. */
  const comment = async (skipped: RunResult['skipped']) => {
    const stored = (await ledger.release(MODEL)) as Release;
    return { stored, text: renderMarkdown(config(), { releases: [stored], skipped }, { now: clock.now() }) };
  };
  return { clock, run, comment };
}

const served = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;

/** The commit status the release's record gives PR #7's head, as GitHub stores it. */
async function commitStatus(release: Release) {
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.05 });
  await setReleaseStatus(client, { owner: 'Codertocat', repo: 'Hello-World' }, release);
  return github.commitStatuses(sha(2)).at(-1);
}

describe('a PR whose metrics check before traffic met a rate limit, then merged', () => {
  it('says the merged PR’s advice in its merge report, comment and status, and never to re-run the job', async () => {
    const pr = await prOnDatadog();
    dd.mode = 'rate-limited';
    const opened = await pr.run('opened', false);
    expect(opened.result.releases[0]?.status).toBe('failed');
    // While the PR is open, a re-run is what helps.
    expect(opened.report).toContain('re-run the job once datadog answers');

    dd.mode = 'ok';
    pr.clock.advance(31 * 60_000);
    const merge = await pr.run('closed', true);
    expect(merge.result.releases.map((r) => r.status)).toEqual(['failed']);
    expect(merge.report).not.toMatch(/re-run/);
    const line = merge.report.split('\n').find((l) => l.startsWith(`- ${MODEL} v2 failed`));
    expect(line).toContain('datadog: rate limited (HTTP 429)');
    expect(line).toContain(MERGED_ADVICE);
    expect(merge.report).toContain(`- ${MODEL}: v2 was not promoted: `);

    // The comment, written from the record, and the head's commit status say the same.
    const comment = await pr.comment(merge.result.skipped);
    expect(comment.text).not.toMatch(/re-run/);
    expect(comment.text).toContain(MERGED_ADVICE);
    expect((await commitStatus(comment.stored))?.description).not.toMatch(/re-run/);

    // A re-run of the opened job after the merge starts nothing, and says what a merged PR can do.
    const rerun = await pr.run('opened', false, { prMerged: true });
    expect(rerun.result.releases.map((r) => r.status)).toEqual(['failed']);
    expect(rerun.report).not.toMatch(/re-run/);
    expect(rerun.report).toContain(MERGED_ADVICE);
    expect(await served()).toEqual({ stable: { version: 'v1' } });
  });
});
