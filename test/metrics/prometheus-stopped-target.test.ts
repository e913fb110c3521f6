import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { RatioGateConfig } from '../../src/config/types.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { metricsFor } from '../../src/release/adapters.js';
import { type RunningPrometheus, startPrometheus, waitFor } from '../support/prometheus.js';

// A candidate whose pods die (their /metrics stops answering) just before a step, against a real
// Prometheus 2.42: the step's range holds none of its samples, and its last scrapes fall within
// the scrape probe's span, as a young series' do. Prometheus marks the series stale at the first
// failed scrape, so it has no current sample of them, where a young series has one: the look is
// inconclusive, saying when they were last scraped, not "waiting for data" until the deadline.

const HTTP = 'sum(increase(http_requests_total{app="{{model}}",version="{{version}}"}[{{window}}]))';

/** A /metrics of one version's request counter, growing by 7 a scrape. */
async function exporter(version: string): Promise<Server> {
  let n = 0;
  const server = createServer((_req, res) => {
    n += 7;
    res.end(
      `# TYPE http_requests counter\nhttp_requests_total{app="fraud-detector",version="${version}"} ${n}\n`,
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}
const address = (s: Server) => `127.0.0.1:${(s.address() as AddressInfo).port}`;

async function instant(prom: RunningPrometheus, query: string): Promise<unknown[]> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  return ((await res.json()) as { data: { result: unknown[] } }).data.result;
}

let dir: string;
let prom: RunningPrometheus;
let live: Server;
let dying: Server;
/** When v3's exporter was shut, and when Prometheus no longer had a current sample of it. */
let stoppedAt: number;
let staleAt: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-stopped-target-'));
  live = await exporter('v2');
  dying = await exporter('v3');
  prom = await startPrometheus({
    dir,
    targets: [
      // Scraped every 2 s, so a 1 s range holds one scrape at most: a look that must wait.
      { job: 'live', address: address(live), interval: '2s' },
      { job: 'dying', address: address(dying) },
    ],
  });
  const scraped = (v: string) => `count_over_time(http_requests_total{version="${v}"}[1m]) >= 3`;
  await waitFor('three scrapes of each', 30_000, async () =>
    (await instant(prom, scraped('v2'))).length > 0 && (await instant(prom, scraped('v3'))).length > 0
      ? true
      : undefined,
  );
  stoppedAt = Date.now();
  dying.closeAllConnections();
  await new Promise<void>((done) => dying.close(() => done()));
  await waitFor('the staleness marker', 15_000, async () =>
    (await instant(prom, 'http_requests_total{version="v3"}')).length === 0 ? true : undefined,
  );
  staleAt = Date.now();
  await delay(1_500);
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  live?.closeAllConnections();
  live?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function look(candidate: string, since: number, until: number) {
  const model = parseConfig(
    `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: prometheus, url: "${prom.url}", requests: '${HTTP}' }
models:
  fraud-detector:
    source: { file: m.yaml, key: version }
    strategy: { type: canary, steps: [10, 50], step-duration: 10m, min-requests: 1, interval: 30s }
    gates:
      - { name: errors, kind: ratio, events: '${HTTP}', max-increase: 10% }
`,
    {},
  ).config.models['fraud-detector'];
  if (!model) throw new Error('no model fraud-detector');
  const ctx = {
    metrics: metricsFor(model),
    model: 'fraud-detector',
    stable: 'v1',
    candidate,
    since,
    now: until,
    minRequests: 1,
    weight: 10,
  };
  return measureRatio(model.gates[0] as RatioGateConfig, ctx);
}

describe('a candidate whose target stopped answering just before the step (real Prometheus)', () => {
  it('reads inconclusive, saying when its series was last scraped, not waiting for data', async () => {
    const m = await look('v3', staleAt, Date.now());
    expect(m.verdict).toBe('inconclusive');
    expect(m.note).toMatch(
      /^prometheus: the requests query matched nothing for the canary slot \(version v3\): Prometheus last scraped "http_requests_total\{app=\\"fraud-detector\\",version=\\"v3\\"\}" at (\S+) and has no current sample of it \(its target stopped answering or was removed\), so the canary slot \(version v3\) or its metrics stopped; no data, not waiting for it: check that its pods are running and that their target is up \(Status > Targets in Prometheus\)$/,
    );
    const last = Date.parse(/ at (\S+) and has no/.exec(m.note ?? '')?.[1] ?? '');
    // Its last scrape, within the 1 s scrape interval before the exporter was shut (to the second).
    expect(last).toBeLessThanOrEqual(stoppedAt);
    expect(last).toBeGreaterThan(stoppedAt - 3_000);
  });

  it('still waits for a live series whose range is too young to hold two scrapes', async () => {
    const until = Date.now();
    const m = await look('v2', until - 1_000, until);
    expect(m.verdict).toBe('waiting');
    expect(m.note).toMatch(/its 1s range holds fewer than two scrapes .* waiting for data/);
  });
});
