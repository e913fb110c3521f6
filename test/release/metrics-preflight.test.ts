import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runCli } from '../support/cli-process.js';
import { declareIn, repoAtV1 } from '../support/cli-run-world.js';
import { platformPassThrough } from '../support/platform-pass-through.js';
import { openV1ToV2OnRealAdapters } from '../support/pr-release-world.js';
import { freePort, type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { type PrometheusFront, prometheusFront } from '../support/prometheus-front.js';

// A candidate got live traffic before its metric source was ever read: a Prometheus refusing the
// token (401) or a port nothing listens on was found only by the first phase's looks, after the
// switch, and the candidate kept 10% of live traffic unwatched until consecutive-error-limit ran
// out (~2.5 minutes at interval 30s). Now the source is read once before the first traffic change:
// a source that cannot answer ends the release with nothing deployed; one without data yet (a real
// Prometheus with nothing scraped) is no failure, and the release goes on.
vi.setConfig({ testTimeout: 90_000 });

const MODEL = 'fraud-detector';
const ERRORS = 'sum(rate(model_gate_requests_total{slot="{{slot}}",outcome="error"}[{{window}}]))';
const REQUESTS = 'sum(increase(model_gate_requests_total{slot="{{slot}}"}[{{window}}]))';
const GATES = [
  `{ name: errors, kind: threshold, query: '${ERRORS}', max: 0.02 }`,
  `{ name: error-ratio, kind: ratio, events: '${ERRORS}', total: '${REQUESTS}', max-increase: 10% }`,
];
const AB_GATES = [
  `{ name: split, kind: srm, units: 'count(count by (user_id) (increase(model_gate_requests_total{slot="{{slot}}"}[{{window}}]) > 0))' }`,
  `{ name: conversion, kind: conversion, conversions: '${ERRORS}', exposures: '${REQUESTS}' }`,
];

const STRATEGIES: [string, string, string[]][] = [
  ['canary', '{ type: canary, steps: [10, 50], step-duration: 5m, min-requests: 100, interval: 1s }', GATES],
  [
    'blue-green',
    '{ type: blue-green, bake-duration: 1m, rollback-window: 1h, min-requests: 100, interval: 1s }',
    // Green takes all live traffic in its bake: nothing beside it for a ratio gate.
    [GATES[0] as string],
  ],
  ['shadow', '{ type: shadow, share: 50, duration: 1m, min-requests: 100, interval: 1s }', GATES],
  [
    'rolling',
    '{ type: rolling, instances: 4, batch-size: 2, step-duration: 1m, min-requests: 100, interval: 1s }',
    GATES,
  ],
  [
    'ab',
    '{ type: ab, split: 50, step-duration: 2m, min-requests: 200, interval: 1s }',
    [...GATES, ...AB_GATES],
  ],
];

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
/** Every traffic change the platform was asked for, as the target sent it. */
let changes: unknown[] = [];
let refusing: PrometheusFront;
let flaky: PrometheusFront;
let flakyUrl: string;
let flakyQueries = 0;
/** Traffic reads the platform answers before it answers every one with a 503. */
let readsLeft = Number.POSITIVE_INFINITY;
let refusingUrl: string;
let refusedUrl: string;
let prometheus: RunningPrometheus;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 5,
  });
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 100, seed: 6 });
  platform = await platformPassThrough(sandbox.url, async (request, forward) => {
    if (request.method === 'PUT') changes.push(request.body);
    if (request.method === 'GET' && readsLeft-- <= 0)
      return { status: 503, body: { error: 'platform down' } };
    return forward();
  });
  // A Prometheus that times out its first two queries, then answers as the real one behind it.
  flaky = await prometheusFront(
    () => prometheus.url,
    () => {
      flakyQueries += 1;
      return flakyQueries <= 2 ? { status: 503, errorType: 'timeout', error: 'query timed out' } : undefined;
    },
  );
  flakyUrl = flaky.url;
  // A Prometheus behind a proxy that refuses the token, answering as Prometheus's own API does.
  refusing = await prometheusFront(
    () => prometheus.url,
    () => ({ status: 401, errorType: 'unauthorized', error: 'invalid bearer token' }),
  );
  refusingUrl = refusing.url;
  refusedUrl = `http://127.0.0.1:${await freePort()}`;
  scratch = await mkdtemp(join(tmpdir(), 'model-gate-preflight-'));
  // Nothing scraped: every query answers, with no data.
  prometheus = await startPrometheus({ dir: join(scratch, 'prometheus') });
});
afterAll(async () => {
  await traffic?.stop();
  await prometheus?.stop();
  await refusing?.close();
  await flaky?.close();
  await platform?.close();
  await sandbox?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
  changes = [];
  readsLeft = Number.POSITIVE_INFINITY;
});

const yamlOf = (strategy: string, gates: string[], metricsUrl: string) => `version: 1
models:
  ${MODEL}:
    source: { file: models/${MODEL}/model.yaml, key: version }
    target: { type: sandbox, url: "${platform.url}" }
    metrics: { type: prometheus, url: "${metricsUrl}" }
    strategy: ${strategy}
    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;

/** PR #7 moving v1 to v2, its job one pass (mode tick) on a fake clock, the real adapters. */
async function openPr(strategy: string, gates: string[], metricsUrl: string) {
  const { config } = parseConfig(yamlOf(strategy, gates, metricsUrl), {});
  const clock = new FakeClock(Date.now());
  const run = await openV1ToV2OnRealAdapters(config, { model: MODEL, clock, dir: scratch, mode: 'tick' });
  return { run, report: renderMarkdown(config, run, { now: clock.now() }) };
}

const askedForV2 = () => changes.filter((c) => JSON.stringify(c).includes('"v2"'));

/** Requests the sandbox answered with v2 so far, from its own Prometheus counters. */
async function v2Requests(): Promise<number> {
  const text = await (await fetch(`${sandbox.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('model_gate_requests_total{') && l.includes('version="v2"'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('a metric source that cannot answer, found before the first traffic change', () => {
  for (const [name, strategy, gates] of STRATEGIES) {
    it(`${name}: a Prometheus refusing the token (401): nothing deployed, the reason names gate, source and fix`, async () => {
      const { run, report } = await openPr(strategy, gates, refusingUrl);
      expect(askedForV2()).toEqual([]);
      expect((await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body).toEqual({
        stable: { version: 'v1' },
      });
      const [release] = run.releases;
      expect(release?.status).toBe('failed');
      expect(release?.phase).toBe(-1);
      expect(release?.reason).toMatch(
        /^metrics check before traffic failed: the metrics source \(prometheus\) could not be read before any traffic, so no gate could watch v2: gates? errors[^:]*: prometheus: HTTP 401 \(invalid bearer token\); the server refused the credentials: check the token .*; v2 was not deployed and got no traffic$/,
      );
      expect(report.split('\n')[0]).toBe('## model-gate: 🔌 Failed: the analysis could not run');
      expect(report).toContain('it never served callers;');
      expect(report).not.toContain('and was withdrawn');
      expect(report).not.toMatch(/rolled back to v1/i);
    });
  }

  it('a port nothing listens on: nothing deployed, the reason says it cannot reach the url', async () => {
    const [, canary] = STRATEGIES[0] as [string, string, string[]];
    const { run } = await openPr(canary, GATES, refusedUrl);
    expect(askedForV2()).toEqual([]);
    expect(run.releases[0]?.status).toBe('failed');
    expect(run.releases[0]?.reason).toContain(
      `gates errors, error-ratio: prometheus: cannot reach ${refusedUrl}/api/v1/query`,
    );
    expect(run.releases[0]?.reason).toContain('check the url and that the server is up');
  });

  it('a query Prometheus rejects (400): nothing deployed, the gate whose query it is is named', async () => {
    const [, canary] = STRATEGIES[0] as [string, string, string[]];
    const gates = [
      GATES[0] as string,
      "{ name: broken, kind: threshold, query: 'sum(rate(x[{{window}}]', max: 1 }",
    ];
    const { run } = await openPr(canary, gates, prometheus.url);
    expect(askedForV2()).toEqual([]);
    expect(run.releases[0]?.status).toBe('failed');
    expect(run.releases[0]?.reason).toMatch(
      /: gate broken: prometheus: bad query \(invalid parameter "query": .*parse error/,
    );
    expect(run.releases[0]?.reason).not.toContain('gate errors');
  });

  it('a candidate an earlier run left live (stopped before it saved its first change): withdrawn, and said so', async () => {
    await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
    const [, canary] = STRATEGIES[0] as [string, string, string[]];
    const { run, report } = await openPr(canary, GATES, refusingUrl);
    expect((await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body).toEqual({
      stable: { version: 'v1' },
    });
    expect(run.releases[0]?.status).toBe('failed');
    expect(run.releases[0]?.reason).toMatch(
      /; v2 was withdrawn \(an earlier run had given it traffic before it stopped\)$/,
    );
    // It served callers before: no "never served callers" beside its withdrawal.
    expect(report).not.toContain('never served callers');
  });

  it('a platform that cannot be read either: the metrics cause stands, and nothing claims a rollback', async () => {
    // The PR run's own read of what serves answers; every read after it fails.
    readsLeft = 1;
    const [, canary] = STRATEGIES[0] as [string, string, string[]];
    const { run, report } = await openPr(canary, GATES, refusingUrl);
    expect(askedForV2()).toEqual([]);
    expect(run.releases[0]?.status).toBe('failed');
    expect(run.releases[0]?.reason).toMatch(
      /^metrics check before traffic failed: .*HTTP 401.*; v2 was not deployed by this run; whether an earlier one left it live could not be read: .*platform down; the sandbox, .* is up\)$/,
    );
    expect(report).not.toMatch(/rolled back to v1/i);
  });

  it('a Prometheus whose first queries time out (503), then answers: the candidate is deployed', async () => {
    const [, canary] = STRATEGIES[0] as [string, string, string[]];
    flakyQueries = 0;
    const { run } = await openPr(canary, GATES, flakyUrl);
    expect(run.releases[0]?.status).toBe('analysing');
    expect(run.releases[0]?.phase).toBe(0);
    expect(askedForV2().length).toBeGreaterThan(0);
  });

  for (const [name, strategy, gates] of STRATEGIES) {
    it(`${name}: a Prometheus without data yet is no failure: the candidate is deployed`, async () => {
      const { run } = await openPr(strategy, gates, prometheus.url);
      expect(run.releases[0]?.status).toBe('analysing');
      expect(run.releases[0]?.phase).toBe(0);
      expect(askedForV2().length).toBeGreaterThan(0);
    });
  }
});

describe('model-gate run release, as the reviewer ran it', () => {
  it('metrics answering 401: ends at once, v2 never answers a request, and the output says what to fix', async () => {
    const config = yamlOf(STRATEGIES[0]?.[1] as string, GATES, refusingUrl);
    const repo = await repoAtV1(config);
    await declareIn(repo, 'v2');
    const before = await v2Requests();
    // Before: v2 at 10% of live traffic for 5 looks 1 s apart, then rolled back.
    const run = await runCli(repo.dir, ['run', 'release', '--max-wait', '60s']);
    expect(run.code).not.toBe(0);
    expect(askedForV2()).toEqual([]);
    expect(await v2Requests()).toBe(before);
    expect(run.stdout).not.toContain('analysing step 1 of 2');
    expect(run.stdout).toContain('Failed: the analysis could not run');
    expect(run.stdout).toMatch(/metrics source \(prometheus\) could not be read before any traffic/);
    expect(run.stdout).toMatch(/HTTP 401.*check the token/);
  });
});
