import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/core/errors.js';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// A sandbox behind an authenticating proxy: `metrics: { type: sandbox, url: "http://u:p@host" }`.
// undici sends no userinfo, so the proxy saw no credentials and every look failed on its 401.
// The url's credentials go as Basic auth (as for prometheus and datadog), and no message says them.

const USER = 'gate';
const PASSWORD = 's3cr%t p@ss'; // percent-encoded in the url; Basic carries the text itself
const ENCODED = encodeURIComponent(PASSWORD);
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const NOW = 1_800_000_000_000; // a whole second
const MINUTE = 60_000;

const hist = {
  buckets: [
    { le: 50, count: 40 },
    { le: '+Inf', count: 50 },
  ],
  sum: 2000,
  count: 50,
};
const w: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: NOW - MINUTE, until: NOW };

let proxy: JsonServer;
beforeAll(async () => {
  // The proxy refuses a request without the right Basic credentials, as nginx's auth_basic does;
  // past it, the sandbox's /metrics.json answers for the window asked.
  proxy = await startJsonServer((req) => {
    if (req.headers.authorization !== BASIC) {
      return { status: 401, headers: { 'www-authenticate': 'Basic realm="sandbox"' }, text: 'Unauthorized' };
    }
    const since = Number(req.query.get('since'));
    const until = Number(req.query.get('until'));
    const slot = { version: 'v2', requests: 50, errors: 2, nulls: 0, latencyMs: hist, scores: hist };
    return { status: 200, body: { since, until, slots: { canary: slot } } };
  });
});
afterAll(async () => {
  await proxy?.close();
});

const withCredentials = (password: string, base = proxy.url) =>
  base.replace('http://', `http://${USER}:${encodeURIComponent(password)}@`);

describe('a sandbox metrics url with user:password', () => {
  it('sends them as Basic auth: the look reads the counts behind the proxy', async () => {
    const source = sandboxSource({ type: 'sandbox', url: withCredentials(PASSWORD) });
    expect(await source.requests(w)).toBe(50);
    expect(await source.value('error-rate', w)).toBe(2 / 50);
    expect(proxy.requests.at(-1)?.headers.authorization).toBe(BASIC);
  });

  it('says a refusal without the password, and what to check', async () => {
    const source = sandboxSource({ type: 'sandbox', url: withCredentials('wrong p@ss') });
    const err = await source.requests(w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    const message = (err as Error).message;
    expect(message).toMatch(/^sandbox metrics for fraud: HTTP 401; .*user:password in metrics\.url/);
    expect(message).not.toContain('wrong');
  });

  it('says an unreachable sandbox without the password', async () => {
    const source = sandboxSource({ type: 'sandbox', url: withCredentials(PASSWORD, 'http://127.0.0.1:1') });
    const err = await source.requests(w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    const message = (err as Error).message;
    expect(message).toMatch(
      /^sandbox metrics unreachable: GET http:\/\/127\.0\.0\.1:1\/metrics\.json failed/,
    );
    for (const secret of [PASSWORD, ENCODED, 's3cr', `${USER}:`]) expect(message).not.toContain(secret);
  });
});
