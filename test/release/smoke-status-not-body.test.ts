import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmokeConfig } from '../../src/config/types.js';
import { runSmoke } from '../../src/release/smoke.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// The documented rule: a smoke request fails on no answer or a status that is not 2xx, whatever its body's format.
let green: JsonServer;
beforeAll(async () => {
  green = await startJsonServer((req) => {
    if (req.path === '/text')
      return { status: 200, text: 'fraud', headers: { 'content-type': 'text/plain' } };
    if (req.path === '/empty') return { status: 204 };
    return { status: 502, text: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } };
  });
});
afterAll(() => green.close());

const smoke: SmokeConfig = {
  requests: [{ features: [1] }],
  repeat: 2,
  maxErrors: 0,
  timeoutMs: 2_000,
  headers: {},
};

describe('a smoke request answered without JSON', () => {
  it('passes when 2xx: a plain-text or empty answer is an answer', async () => {
    for (const path of ['/text', '/empty']) {
      const result = await runSmoke(smoke, `${green.url}${path}`);
      expect(result.note).toMatch(/^smoke: 2 synthetic requests to green, 0 failed, p95 \d+ ms$/);
      expect(result.passed).toBe(true);
    }
  });

  it('fails when not 2xx, naming the status', async () => {
    const result = await runSmoke(smoke, `${green.url}/down`);
    expect(result.passed).toBe(false);
    expect(result.note).toMatch(
      /^smoke: 2 synthetic requests to green, 2 failed \(request 1: HTTP 502\) \(max-errors 0\), p95/,
    );
  });
});
