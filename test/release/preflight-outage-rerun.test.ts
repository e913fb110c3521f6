import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import { gitHubClient } from '../../src/github/client.js';
import { setReleaseStatus } from '../../src/github/commit-status.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { metricsFor, targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { type FakeDatadog, startFakeDatadog } from '../support/metrics-datadog.js';
import { sha } from '../support/model-config.js';

// A PR opened while Datadog answered 429: the metrics check before traffic tried 3 times 5 s apart,
// then ended the release failed, advising to "lengthen the strategy's interval", and a re-run once
// Datadog answered again was refused ("this head already failed its analysis … push a new commit")
// though v2 was never deployed nor judged. A check that met only passing faults now ends so that
// a re-run of the same head analyses it again; refused credentials still fail the head for good.
// The real sandbox target, the Datadog API stand-in, a file ledger, PR #7 moving v1 to v2.
const MODEL = 'fraud-detector';
const API_KEY = 'dd-api-key-0123456789';
const APP_KEY = 'dd-app-key-0123456789';
const SCOPE = 'model:{{model}},slot:{{slot}},version:{{version}}';
const REQUESTS = `sum:model.requests{${SCOPE}}.as_count()`;
const ERROR_RATE = `sum:model.errors{${SCOPE}}.as_count() / ${REQUESTS}`;

let sandbox: Sandbox;
let dd: FakeDatadog;
let github: FakeGitHub;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  dd = await startFakeDatadog({ apiKey: API_KEY, applicationKey: APP_KEY, series: [] });
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  scratch = await mkdtemp(join(tmpdir(), 'model-gate-preflight-outage-'));
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
  await dd?.close();
  await sandbox?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  dd.mode = 'ok';
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
});

/** PR #7's job (one pass), run as often as asked on the same head, the same ledger and clock. */
async function prOnDatadog(apiKey: string) {
  const yaml = `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${sandbox.url}" }
    metrics: { type: datadog, url: "${dd.url}", api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "${REQUESTS}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 30s }
    gates:
      - { name: errors, kind: threshold, query: "${ERROR_RATE}", max: 0.02 }
`;
  const { config } = parseConfig(yaml, { DD_API_KEY: apiKey, DD_APP_KEY: APP_KEY });
  const clock = new FakeClock(Date.now());
  const lines: string[] = [];
  const ledger = fileLedger(join(await mkdtemp(join(scratch, 'ledger-')), 'ledger.json'));
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
  const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
  const run = async () => {
    const result = await handlePullRequest(config, event, ports, {
      mode: 'tick',
      maxWaitMs: 3_600_000,
      dryRun: false,
    });
    return { result, report: renderMarkdown(config, result, { now: clock.now() }) };
  };
  return { clock, ledger, lines, run };
}

const served = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;

/** The commit status the release's record gives PR #7's head, as GitHub stores it. */
async function commitStatus(release: Release) {
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.05 });
  await setReleaseStatus(client, { owner: 'Codertocat', repo: 'Hello-World' }, release);
  return github.commitStatuses(sha(2)).at(-1);
}

describe('the metrics check before traffic meets a rate limit, then Datadog answers again', () => {
  it('deploys nothing and says to re-run; the re-run on the same head analyses v2 and gives it its first step', async () => {
    const pr = await prOnDatadog(API_KEY);
    dd.mode = 'rate-limited';
    const started = pr.clock.now();
    const first = await pr.run();
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    const [ended] = first.result.releases;
    expect(ended?.status).toBe('failed');
    const lead =
      /^v2 not deployed: metrics source datadog unreadable before traffic; re-run the job once datadog answers \(after (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\): gate errors: datadog: rate limited \(HTTP 429\), retry in 42s/;
    expect(ended?.reason).toMatch(lead);
    // The stand-in's X-RateLimit-Reset is 42 s: the reset's minute, rounded up.
    const after = Date.parse(`${lead.exec(ended?.reason ?? '')?.[1]}Z`);
    expect(Math.abs(after - (started + 42_000))).toBeLessThan(2 * 60_000);
    expect(first.report).toContain(ended?.reason);
    expect(first.report).toContain('a re-run of this job analyses this commit again');
    for (const text of [first.report, ended?.reason])
      for (const wrong of [
        "lengthen the strategy's interval",
        'consecutive-error-limit',
        'push a new commit',
        'rolled back',
      ])
        expect(text).not.toContain(wrong);
    const status = await commitStatus(ended as Release);
    expect(status?.state).toBe('failure');
    expect(status?.description).toMatch(
      /^v2 not deployed: metrics source datadog unreadable before traffic; re-run the job once datadog answers \(after \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/,
    );

    pr.clock.advance(31 * 60_000);
    dd.mode = 'ok';
    const again = await pr.run();
    const [analysing] = again.result.releases;
    expect(analysing?.status).toBe('analysing');
    expect(analysing?.phase).toBe(0);
    expect(await served()).toMatchObject({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
    expect(again.report).not.toContain('already failed its analysis');
    expect(pr.lines.join('\n')).toContain('could not be read before any traffic: analysing v2');
  });
});

describe('the metrics check before traffic meets refused credentials (403)', () => {
  it('fails the head for good: nothing deployed, and a re-run is refused', async () => {
    const pr = await prOnDatadog('a-revoked-key');
    const first = await pr.run();
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    expect(first.result.releases[0]?.status).toBe('failed');
    expect(first.result.releases[0]?.reason).toMatch(
      /^metrics check before traffic failed: .*datadog: HTTP 403 \(Forbidden\); the server refused the credentials/,
    );
    expect(first.report).not.toContain('a re-run of this job analyses this commit again');

    pr.clock.advance(31 * 60_000);
    const again = await pr.run();
    expect(again.result.releases[0]?.status).toBe('failed');
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    expect(again.report).toContain('already failed its analysis');
  });
});
