import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { maskSecrets } from '../../src/action/secrets.js';
import { parseConfig } from '../../src/config/load.js';
import { secretValues } from '../../src/config/secret-values.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { parseCliJson } from '../../src/targets/platform-cli.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// A metrics url with a password (`http://u:${PROM_PASSWORD}@host`, as the docs show), and a proxy
// refusing it with an HTML page that quotes it near character 100. Error messages keep the first
// 120 characters of such a body: cut before it was masked, the password's head no longer matched
// its mask and went to the comment, the summary, the report and the log.

const PASSWORD = 'Zq7pW2xR9vL4kT8mN3bQ6sYh';
const PAGE = `<html><body><h1>401 Authorization Required</h1><p>nginx auth_request denied user u (id 12), password ${PASSWORD} is wrong</p></body></html>`;
const NOW = 1_800_000_000_000;
const w: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: NOW - 60_000, until: NOW };

let proxy: JsonServer;
beforeAll(async () => {
  proxy = await startJsonServer(() => ({ status: 401, text: PAGE }));
});
afterAll(async () => {
  await proxy?.close();
});

/** The message of a look at `fraud`'s metrics configured as `metrics`, its secrets registered as the action does. */
async function refusal(metrics: string, query: string, env: Record<string, string>): Promise<string> {
  const yaml = `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: ${metrics}
    gates:
      - { name: errors, kind: threshold, query: '${query}', max: 0.02 }
`;
  const loaded = parseConfig(yaml, env);
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    maskSecrets(secretValues(loaded.interpolated, env).values);
  } finally {
    write.mockRestore();
  }
  const model = loaded.config.models.fraud;
  if (!model) throw new Error('no model fraud');
  const err = await metricsFor(model)
    .requests(w)
    .catch((e: unknown) => e);
  return (err as Error).message;
}

/** Every 6-character piece of `secret`: a head cut anywhere still shows as one. */
const pieces = (secret: string) => [...Array(secret.length - 5).keys()].map((i) => secret.slice(i, i + 6));

describe('a 401 page quoting the password where the message cuts it', () => {
  it('prometheus: the message shows *** and no part of the password', async () => {
    const url = proxy.url.replace('http://', `http://u:\${PROM_PASSWORD}@`);
    const message = await refusal(`{ type: prometheus, url: "${url}" }`, 'sum(rate(errors[1m]))', {
      PROM_PASSWORD: PASSWORD,
    });
    expect(message).toContain('denied user u (id 12), password ***');
    for (const piece of pieces(PASSWORD)) expect(message).not.toContain(piece);
  });

  it('http-json: the same', async () => {
    const url = proxy.url.replace('http://', `http://u:\${METRICS_PASSWORD}@`);
    const message = await refusal(`{ type: http-json, url: "${url}", requests: count }`, 'data.error_rate', {
      METRICS_PASSWORD: PASSWORD,
    });
    expect(message).toContain('HTTP 401');
    for (const piece of pieces(PASSWORD)) expect(message).not.toContain(piece);
  });
});

describe("a platform CLI's output that is not JSON, quoting a secret where the message cuts it", () => {
  it('shows *** and no part of the secret', async () => {
    const token = 'ghp_k3Yq7pW2xR9vL4kT8mN3b';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      maskSecrets([token]);
    } finally {
      write.mockRestore();
    }
    // The token starts at character 104: a cut at 120 runs through it.
    const stdout = `warning: falling back to the cached credentials of profile prod; ${'x'.repeat(32)} token=${token}`;
    expect(stdout.indexOf(token)).toBe(104);
    let message = '';
    try {
      parseCliJson({ safeParse: () => ({ success: true, data: {} }) } as never, stdout, 'kubectl get');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^kubectl get did not print JSON \(got "warning: /);
    for (const piece of pieces(token)) expect(message).not.toContain(piece);
  });
});
