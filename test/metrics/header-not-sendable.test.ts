import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/core/errors.js';
import { datadogSource } from '../../src/metrics/datadog-source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// A header value undici refuses to send (a key with a line break) never reaches the server, and
// sending it again changes nothing: it was read as "cannot reach" (a passing fault, asked again
// at every look) instead of an error naming the header, never its value.

const KEY = 'abcdefgh12345';
let srv: JsonServer;
beforeAll(async () => {
  srv = await startJsonServer(() => ({ status: 200, body: { status: 'ok', series: [] } }));
});
afterAll(async () => {
  await srv?.close();
});

describe('a metrics request whose header value cannot be sent', () => {
  it('is a lasting error naming the header, not "cannot reach", and never shows the value', async () => {
    const now = Date.now();
    const err = await datadogSource({
      type: 'datadog',
      url: srv.url,
      apiKey: `${KEY}\n`,
      applicationKey: 'zyxwvut98765',
      timeoutMs: 2_000,
      requests: 'sum:model.requests{slot:{{slot}}}.as_count()',
      reducer: 'avg',
    })
      .requests({ model: 'fraud', slot: 'canary', version: 'v2', since: now - 60_000, until: now })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect((err as MetricsError).passing).toBe(false);
    expect((err as Error).message).toMatch(
      /^datadog: the request to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query could not be sent: the value of its DD-API-KEY header is not valid in a header \(a line break or NUL character in it, not shown\); check the field or secret it comes from$/,
    );
    expect((err as Error).message).not.toContain(KEY);
    expect(srv.requests).toHaveLength(0);
  });
});
