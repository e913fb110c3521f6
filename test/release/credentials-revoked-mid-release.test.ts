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
import { platformPassThrough } from '../support/platform-pass-through.js';
import { openV1ToV2OnRealAdapters } from '../support/pr-release-world.js';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.js';
import { type PrometheusFront, prometheusFront } from '../support/prometheus-front.js';

// The pre-flight reads the metrics source before the first traffic change; a token revoked (or
// expired) after it was found only by the looks: one more query error, so the candidate kept its
// live traffic, unwatched, for consecutive-error-limit + 1 looks (2.5 minutes at the defaults), and
// a step's deadline could pass it on the look before the refusal, or (must-have-data: false) on
// nothing, all the way to ready. Refused on three reads 5 s apart, the release now rolls back.
vi.setConfig({ testTimeout: 90_000 });

const MODEL = 'fraud-detector';
const ERRORS = 'sum(rate(model_gate_requests_total{slot="{{slot}}",outcome="error"}[{{window}}]))';
const REQUESTS = 'sum(increase(model_gate_requests_total{slot="{{slot}}"}[{{window}}]))';
const GATES = [
  `{ name: errors, kind: threshold, query: '${ERRORS}', max: 0.02 }`,
  `{ name: error-ratio, kind: ratio, events: '${ERRORS}', total: '${REQUESTS}', max-increase: 10% }`,
];

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let prometheus: RunningPrometheus;
/** A real Prometheus behind a proxy that checks the token, revoked once the candidate has traffic. */
let proxy: PrometheusFront;
let proxyUrl: string;
/** Queries the proxy still answers after the candidate got traffic (a look or two). */
let answersAfterDeploy = 0;
let refuseAfter = Number.POSITIVE_INFINITY;
/** How many queries the proxy answers 401 before it lets them through again (a blip). */
let refusals = Number.POSITIVE_INFINITY;
let clock: FakeClock;
/** Fake time of the first 401. */
let firstRefusedAt: number | undefined;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 5,
  });
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 100, seed: 6 });
  platform = await platformPassThrough(sandbox.url, (request, forward) => {
    const toV2 = request.method === 'PUT' && JSON.stringify(request.body).includes('"v2"');
    if (toV2 && refuseAfter === Number.POSITIVE_INFINITY) refuseAfter = answersAfterDeploy;
    return forward();
  });
  scratch = await mkdtemp(join(tmpdir(), 'model-gate-revoked-'));
  prometheus = await startPrometheus({ dir: join(scratch, 'prometheus') });
  proxy = await prometheusFront(
    () => prometheus.url,
    () => {
      if (refuseAfter-- > 0 || refusals-- <= 0) return undefined;
      firstRefusedAt ??= clock.now();
      return { status: 401, errorType: 'unauthorized', error: 'token revoked' };
    },
  );
  proxyUrl = proxy.url;
});
afterAll(async () => {
  await traffic?.stop();
  await prometheus?.stop();
  await proxy?.close();
  await platform?.close();
  await sandbox?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
  firstRefusedAt = undefined;
  refuseAfter = Number.POSITIVE_INFINITY;
});

/** PR #7 moving v1 to v2, its job watching to the end on a fake clock, the real adapters. */
async function openPr(strategy: string, extra = '') {
  const yaml = `version: 1
models:
  ${MODEL}:
    source: { file: models/${MODEL}/model.yaml, key: version }
    target: { type: sandbox, url: "${platform.url}" }
    metrics: { type: prometheus, url: "${proxyUrl}" }
    strategy: ${strategy}${extra}
    gates:
${GATES.map((g) => `      - ${g}\n`).join('')}`;
  const { config } = parseConfig(yaml, {});
  clock = new FakeClock(Date.now());
  const run = await openV1ToV2OnRealAdapters(config, { model: MODEL, clock, dir: scratch, mode: 'watch' });
  return { release: run.releases[0], report: renderMarkdown(config, run, { now: clock.now() }) };
}

const serving = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;

describe('a metrics source that refuses the token mid-release', () => {
  it('defaults: rolled back within seconds of the refusal, saying the credentials were refused and what to fix', async () => {
    // The pre-flight's reads and the first look answer; then every query is refused.
    [answersAfterDeploy, refusals] = [3, Number.POSITIVE_INFINITY];
    const { release, report } = await openPr('{ type: canary, steps: [10, 50] }');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(release?.status).toBe('failed');
    expect(firstRefusedAt).toBeDefined();
    // Before: 5 looks 30 s apart (consecutive-error-limit 4) with v2 at 10% of live traffic.
    expect((release?.updatedAt ?? 0) - (firstRefusedAt ?? 0)).toBeLessThanOrEqual(10_000);
    expect(release?.reason).toMatch(
      /^(errors|error-ratio): the metrics source \(prometheus\) refused model-gate's credentials \(HTTP 401\) 3 times 5 s apart, so no gate could watch v2; fix the token or key in the config's metrics section.*: prometheus: HTTP 401 \(token revoked\); the server refused the credentials: check the token/,
    );
    expect(report.split('\n')[0]).toBe('## model-gate: 🔌 Rolled back: the analysis could not run');
    expect(report).not.toMatch(/no conclusive evidence|times in a row/);
  });

  it('must-have-data: false and steps shorter than the error limit: rolled back, not passed to ready', async () => {
    [answersAfterDeploy, refusals] = [3, Number.POSITIVE_INFINITY];
    // Before: each 1m step saw 2-3 refused looks (under consecutive-error-limit 4), and must-have-data: false passed it.
    const { release } = await openPr(
      '{ type: canary, steps: [10, 50], step-duration: 1m }',
      '\n    must-have-data: false',
    );
    expect(release?.status).toBe('failed');
    expect(release?.reason).toContain("refused model-gate's credentials (HTTP 401)");
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('one refused query (a proxy blip) the next try gets past: no error, the release goes on', async () => {
    [answersAfterDeploy, refusals] = [3, 1];
    const { release } = await openPr(
      '{ type: canary, steps: [10], step-duration: 1m }',
      '\n    must-have-data: false',
    );
    expect(firstRefusedAt).toBeDefined();
    expect(release?.status).toBe('ready');
    expect(release?.gates.every((g) => g.consecutiveErrors === 0)).toBe(true);
  });
});
