import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { type ServingLayer, startServingLayer } from '../support/standins/http-serving-layer.js';
import { recordWorld } from './tick-record-world.js';

// A PR's job in watch mode on an http serving layer behind a gateway that answers 503 for a while:
// the step to 50% fails, and so does the rollback asked for right after it. The job tries the
// rollback again within its max-wait, backing off, until v2 is withdrawn; it used to exit at once
// with "Rollback incomplete", v2 keeping 10% of live traffic until the next run. The serving layer
// implements docs/http-target.openapi.yaml on 127.0.0.1; time runs on the job's fake clock.

let layer: ServingLayer;
let gateway: Server;
let gatewayUrl: string;
/** The outage: every PUT is answered 503 from the step to 50% until `until` (on the job's clock). */
const outage = { lasts: 0, until: Number.NaN, now: () => 0 };

beforeAll(async () => {
  layer = await startServingLayer({
    deployed: ['v1', 'v2'],
    stable: 'v1',
    capabilities: { strategies: ['canary'], weights: 'integer' },
  });
  gateway = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'PUT') {
      if (Number.isNaN(outage.until) && body.includes('"weight":50'))
        outage.until = outage.now() + outage.lasts;
      if (outage.now() < outage.until) {
        res
          .writeHead(503, { 'content-type': 'text/html' })
          .end('<html><h1>503 Service Unavailable</h1></html>');
        return;
      }
    }
    const answer = await fetch(`${layer.url}${req.url}`, {
      method: req.method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body } : {}),
    });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(async () => {
  gateway?.closeAllConnections();
  await new Promise((resolve) => gateway?.close(resolve));
  await layer?.close();
});
beforeEach(() => {
  layer.traffic = { stable: { version: 'v1' } };
  outage.until = Number.NaN;
});

/** fraud on the serving layer through the gateway: each call waits out a 503 for at most 5 s. */
async function job(maxWaitMinutes: number) {
  const w = await recordWorld(
    '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: { 'error-rate': 0.005 } },
    }),
    `{ type: http, url: "${gatewayUrl}", strategies: [canary], settle-timeout: 5s, poll-interval: 1s }`,
  );
  w.ports.targetFor = (model) => httpTarget(model.target as HttpTargetConfig, model, w.clock);
  outage.now = () => w.clock.now();
  const started = w.clock.now();
  const result = await handlePullRequest(w.config, w.event(), w.ports, {
    mode: 'watch',
    maxWaitMs: maxWaitMinutes * 60_000,
    dryRun: false,
  });
  return { ...w, result, took: w.clock.now() - started };
}

describe('a rollback the gateway refuses (503) right after the step it refused', () => {
  it('is tried again within the job, backing off, until v2 is withdrawn', async () => {
    outage.lasts = 40_000;
    const { result, config, ledger } = await job(2);
    const [release] = result.releases;
    expect(layer.traffic).toEqual({ stable: { version: 'v1' } });
    expect(release).toMatchObject({ status: 'failed' });
    expect(release?.withdrawPending).toBeUndefined();
    expect(release?.reason).toMatch(
      /^the serving platform failed: .* PUT \/traffic with HTTP 503 .*; the rollback to v1 also failed: .* PUT \/traffic with HTTP 503 .*; v2 withdrawn on a later try$/,
    );
    expect(await ledger.release('fraud')).toEqual(release);
    const report = renderMarkdown(config, result, { now: 0 });
    expect(report).toContain('## model-gate: 🔌 Rolled back: the analysis could not run');
    expect(report).not.toContain('Rollback incomplete');
  });

  it("gives up at the job's max-wait, its rollback pending for the next run", async () => {
    outage.lasts = 60 * 60_000;
    const { result, took } = await job(2);
    expect(layer.traffic).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    expect(result.releases[0]).toMatchObject({ status: 'failed', withdrawPending: true });
    // Tried again and again until the job's 2 minutes were nearly over (a try waits out 503s for 5 s).
    expect(took).toBeGreaterThan(100_000);
    expect(took).toBeLessThanOrEqual(2 * 60_000 + 5_000);
  });
});
