import { describe, expect, it } from 'vitest';
import { fetchJson } from '../../src/metrics/fetch-json.js';
import { freePort } from '../support/prometheus.js';

describe('a metrics server with nothing listening', () => {
  it('is named unreachable with the connection error code said once', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/api/v1/query`;
    const err = await fetchJson({ source: 'prometheus', url, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `prometheus: cannot reach ${url}: connect ECONNREFUSED 127.0.0.1:${port}; check the url and that the server is up`,
    );
  });
});
