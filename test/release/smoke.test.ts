import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig, SmokeConfig } from '../../src/config/types.js';
import { runSmoke, smokeUrl } from '../../src/release/smoke.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// Green behind a real HTTP server: healthy, warming up (503), or hanging.
let green: JsonServer;
beforeAll(async () => {
  green = await startJsonServer((req) => {
    if (req.path.startsWith('/fraud/v2/')) return { status: 200, body: { prediction: 1 } };
    if (req.path.startsWith('/fraud/cold/')) return { status: 503, body: { error: 'warming up' } };
    return { status: 200, hang: true };
  });
});
afterAll(() => green.close());

const smoke = (over: Partial<SmokeConfig> = {}): SmokeConfig => ({
  requests: [{ features: [1] }, { features: [2] }],
  url: `${green?.url}/{{model}}/{{version}}/predict`,
  headers: { authorization: 'Bearer t0ken' },
  repeat: 1,
  maxErrors: 0,
  timeoutMs: 2_000,
  ...over,
});
const model = { name: 'fraud', target: { type: 'kserve' } } as unknown as ModelConfig;

describe('the blue-green smoke test', () => {
  it('passes a green that answers every request, sending the configured headers', async () => {
    const s = smoke({ repeat: 2 });
    const result = await runSmoke(s, smokeUrl(model, s, 'v2'));
    expect(result.passed).toBe(true);
    expect(result.note).toMatch(/^smoke: 4 synthetic requests to green, 0 failed, p95 \d+ ms$/);
    const sent = green.requests.filter((r) => r.path === '/fraud/v2/predict');
    expect(sent).toHaveLength(4);
    expect(sent.every((r) => r.method === 'POST' && r.headers.authorization === 'Bearer t0ken')).toBe(true);
  });

  it('fails a green that errors beyond max-errors, saying which requests and why', async () => {
    const s = smoke();
    const failed = await runSmoke(s, smokeUrl(model, s, 'cold'));
    expect(failed.passed).toBe(false);
    expect(failed.note).toMatch(
      /^smoke: 2 synthetic requests to green, 2 failed \(request 1: warming up; request 2: warming up\) \(max-errors 0\), p95/,
    );
    expect((await runSmoke(smoke({ maxErrors: 2 }), smokeUrl(model, s, 'cold'))).passed).toBe(true);
  });

  it('fails a green that does not answer in time, and one slower than max-latency', async () => {
    const s = smoke({ requests: [{ features: [1] }], timeoutMs: 200 });
    const hung = await runSmoke(s, smokeUrl(model, s, 'v9'));
    expect(hung.passed).toBe(false);
    expect(hung.note).toMatch(
      /1 failed \(request 1: POST http:\/\/127\.0\.0\.1:\d+\/fraud\/v9\/predict failed: /,
    );
    // The hung request took at least its timeout: far above a 1 ms budget.
    const slow = await runSmoke({ ...s, maxLatencyMs: 1, maxErrors: 1 }, smokeUrl(model, s, 'v9'));
    expect(slow.passed).toBe(false);
    expect(slow.note).toMatch(/p95 \d+ ms above max-latency 1 ms$/);
  });

  it('fills the URL with the encoded version, and uses the sandbox route by default', () => {
    expect(smokeUrl(model, smoke(), '1.2+build/7')).toBe(`${green.url}/fraud/1.2%2Bbuild%2F7/predict`);
    const sandbox = { name: 'fraud', target: { type: 'sandbox', url: 'http://127.0.0.1:9/', model: 'fd' } };
    const { url: _, ...noUrl } = smoke();
    expect(smokeUrl(sandbox as unknown as ModelConfig, noUrl, 'v2')).toBe(
      'http://127.0.0.1:9/models/fd/versions/v2/predict',
    );
  });
});
