import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpTargetConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { confirmingTarget, UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { TargetAccessError, TargetRefusedError } from '../../src/targets/errors.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { recordWorld } from '../release/tick-record-world.js';
import { fraudCanaryOn } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A withdrawal (or rollback) the serving layer took, its PUT answered 2xx, whose reads then failed
// (the service restarting: connections refused; a gateway's 5xx; no answer in time) until the
// change's settle-timeout: it was reported failed ("could not be rolled back", "withdrawal
// refused") though the service had accepted it. As on the other targets, it is unconfirmed:
// probably rolled back, pending until a read confirms it. A PUT the service refuses still fails.
// The serving layer is real, on 127.0.0.1; time runs on a FakeClock.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** How GET /traffic fails once a withdrawal's PUT was taken; 'down': the service stops listening. */
type ReadFault = 'down' | 'reset' | 'hang' | { status: number; error: string };
/** How a withdrawal's PUT is answered: taken (200, 202), or refused with a status. */
type PutAnswer = { status: 200 | 202 } | { status: number; error: string };

interface Layer {
  url: string;
  served: TrafficState;
  /** GET /traffic made after the withdrawal's PUT was taken. */
  readsAfter: number;
  /** How those fail: undefined once the service answers them again. */
  fault?: ReadFault;
  puts: number;
}

/**
 * A serving layer at v1 + v2 (10%) whose withdrawals (a PUT of the stable version alone) are
 * answered `put`; once one is taken, every GET /traffic meets `fault` (canary steps go through).
 */
async function servingLayer(fault: ReadFault, put: PutAnswer = { status: 200 }): Promise<Layer> {
  let taken = false;
  const layer: Layer = {
    url: '',
    served: { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } },
    readsAfter: 0,
    puts: 0,
    fault,
  };
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.endsWith('/capabilities')) return send(200, { strategies: ['canary'] });
    if (req.method === 'PUT') {
      const asked = JSON.parse(text) as TrafficState;
      if (asked.canary) {
        layer.served = asked;
        return send(200, { ...asked, updating: false });
      }
      layer.puts += 1;
      if ('error' in put) return send(put.status, { error: put.error });
      layer.served = asked;
      taken = true;
      if (fault === 'down') {
        // The service restarts right after taking it: nothing listens on its port any more.
        res.on('finish', () => {
          server.close();
          server.closeAllConnections();
        });
      }
      return send(put.status, { ...asked, updating: put.status === 202 });
    }
    if (!taken || !layer.fault) return send(200, { ...layer.served, updating: false });
    layer.readsAfter += 1;
    if (layer.fault === 'reset') return req.socket.destroy();
    if (layer.fault === 'hang') return;
    if (typeof layer.fault === 'object') send(layer.fault.status, { error: layer.fault.error });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
  layer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/fraud`;
  return layer;
}

/** The http target's YAML for `url`: settle-timeout 1m, poll-interval 10s, each request `timeout` at most (real time). */
const targetAt = (url: string, timeout = '5s') =>
  `{ type: http, url: "${url}", strategies: [canary], settle-timeout: 1m, poll-interval: 10s, timeout: ${timeout} }`;

/** The withdrawal to v1, read back patiently as a rollback's is: its error, and the time it took. */
async function withdraw(layer: Layer, timeout?: string) {
  const clock = new FakeClock();
  const model: ModelConfig = fraudCanaryOn(targetAt(layer.url, timeout)).model;
  const target = confirmingTarget(httpTarget(model.target as HttpTargetConfig, model, clock), model, clock);
  const began = clock.now();
  const err = await reconcile(target, withdrawTraffic('v1')).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, tookMs: clock.now() - began };
}

describe('a withdrawal the http service took, whose reads then failed until its settle-timeout', () => {
  it.each([
    ['the service restarting (connections refused)', 'down' as const, /ECONNREFUSED/],
    ['a gateway dropping every connection', 'reset' as const, /GET \S+\/traffic failed: /],
    ['a gateway answering 503', { status: 503, error: 'upstream connect error' }, /HTTP 503/],
    ['the service answering 500', { status: 500, error: 'database unavailable' }, /HTTP 500/],
    ['no answer in time', 'hang' as const, /no answer within 500ms/],
  ])('after %s: unconfirmed, not failed, quoting the last read', async (_, fault, lastRead) => {
    const layer = await servingLayer(fault);
    // A short timeout where nothing answers: each request waits it out in real time.
    const { err, tookMs } = await withdraw(layer, fault === 'hang' ? '500ms' : undefined);
    expect(layer.served).toEqual({ stable: { version: 'v1' } });
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^serving layer at ${layer.url} accepted the change to v1 100% but never confirmed it: reading it back kept failing until its settle-timeout \\(1m\\) ran out, 1m after the change was sent \\(a read every 10s, its poll-interval\\); the last read failed with: `,
      ),
    );
    expect((err as Error).message).toMatch(lastRead);
    // Read again until the settle-timeout (a service that went down gets none of them).
    if (fault !== 'down') expect(layer.readsAfter).toBeGreaterThan(1);
    expect(tookMs).toBeGreaterThanOrEqual(60_000);
  });

  it('after a 202 (converging): unconfirmed as well when the reads then fail', async () => {
    const layer = await servingLayer({ status: 503, error: 'upstream connect error' }, { status: 202 });
    const { err } = await withdraw(layer);
    expect(err).toBeInstanceOf(UnconfirmedChange);
  });

  it('whose reads the service refuses for the credentials: fails as that, naming what to fix', async () => {
    const layer = await servingLayer({ status: 401, error: 'token expired' });
    const { err, tookMs } = await withdraw(layer);
    expect(err).toBeInstanceOf(TargetAccessError);
    expect((err as Error).message).toBe(
      `serving layer at ${layer.url} refused GET /traffic (HTTP 401): token expired; check the credentials model-gate sends (the target's headers, or user:password in its url): expired, or without the permission`,
    );
    expect(tookMs).toBe(0);
  });
});

describe('a withdrawal the http service refused', () => {
  it('with 422: fails as refused, never unconfirmed', async () => {
    const layer = await servingLayer('down', { status: 422, error: 'v1 has no replicas' });
    const { err } = await withdraw(layer);
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect(layer.served.canary).toEqual({ version: 'v2', weight: 10 });
  });

  it('with 503 until its settle-timeout: fails, never unconfirmed', async () => {
    const layer = await servingLayer('down', { status: 503, error: 'maintenance' });
    const { err } = await withdraw(layer);
    expect(err).toBeInstanceOf(TargetError);
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain('answered PUT /traffic with HTTP 503');
    expect(layer.puts).toBeGreaterThan(1);
  });
});

describe("a failed gate's rollback on an http service that took it, its reads then failing", () => {
  /** fraud (v1 → v2) at its 10% step on `layer`, then failing its gate: the tick that rolls it back. */
  async function failedGate(layer: Layer) {
    const metrics = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.005 } },
      canary: { rps: 20, values: { 'error-rate': 0.005 } },
    });
    const w = await recordWorld(
      '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
      metrics,
      targetAt(layer.url),
    );
    w.ports.targetFor = (model) => httpTarget(model.target as HttpTargetConfig, model, w.clock);
    const tick = () =>
      handlePullRequest(w.config, w.event(), w.ports, { mode: 'tick', maxWaitMs: 60_000, dryRun: false });
    layer.served = { stable: { version: 'v1' } };
    await tick();
    expect(layer.served).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    metrics.slots.canary.values['error-rate'] = 0.5;
    w.clock.advance(20_000);
    const run = await tick();
    return { run, report: renderMarkdown(w.config, run, { now: w.clock.now() }), w, tick };
  }

  it('is reported probably rolled back, unconfirmed, its withdrawal pending', async () => {
    const layer = await servingLayer('down');
    const { run, report } = await failedGate(layer);
    expect(layer.served).toEqual({ stable: { version: 'v1' } });
    const [release] = run.releases;
    expect(release).toMatchObject({ status: 'failed', withdrawPending: true });
    expect(release?.ending?.withdrawFailed?.unconfirmed).toBe(true);
    expect(release?.reason).toMatch(/; the rollback to v1 is unconfirmed: .* never confirmed it/);
    expect(report.split('\n')[0]).toBe(
      '## model-gate: ⚠️ Rollback unconfirmed: a candidate may still get live traffic',
    );
    expect(report).toContain('fraud v2 is probably rolled back to v1: the platform accepted its rollback');
    expect(report).not.toMatch(/could not be rolled back/);
  });

  it('once reads answer again, the next run confirms the rollback and the withdrawal is no longer pending', async () => {
    const layer = await servingLayer({ status: 503, error: 'upstream connect error' });
    const { run, w, tick } = await failedGate(layer);
    expect(run.releases[0]?.ending?.withdrawFailed?.unconfirmed).toBe(true);

    layer.fault = undefined;
    w.clock.advance(60_000);
    const next = await tick();
    const [release] = next.releases;
    expect(layer.served).toEqual({ stable: { version: 'v1' } });
    expect(release).toMatchObject({ status: 'failed' });
    expect(release?.withdrawPending).toBeUndefined();
    const report = renderMarkdown(w.config, next, { now: w.clock.now() });
    expect(report.split('\n')[0]).toBe('## model-gate: ❌ Rolled back');
    expect(report).not.toMatch(/may still get live traffic|unconfirmed/);
  });

  it('refused (HTTP 422): reported not rolled back, its withdrawal pending', async () => {
    const layer = await servingLayer('down', { status: 422, error: 'v1 has no replicas' });
    const { run, report } = await failedGate(layer);
    const [release] = run.releases;
    expect(release).toMatchObject({ status: 'failed', withdrawPending: true });
    expect(release?.ending?.withdrawFailed?.unconfirmed).toBeUndefined();
    expect(report).toContain('fraud v2 could not be rolled back to v1');
    expect(report).not.toMatch(/probably rolled back|Rollback unconfirmed/);
  });
});
