import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { maskSecrets } from '../../src/action/secrets.js';
import { parseConfig } from '../../src/config/load.js';
import { secretValues } from '../../src/config/secret-values.js';
import { addSecret, redact } from '../../src/core/redact.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// An API key in a metrics url's query string (`PROMETHEUS_URL=http://host/prom?api_key=…`, used as
// SPEC's `url: "${PROMETHEUS_URL}"`) was no secret: a gateway's 401 echoing the URL it was asked
// put the key in the error, the log (never masked), the PR comment, the report and the ledger.

const KEY = 's3cr3tK3yValue42';
const NOW = 1_800_000_000_000;
const w: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: NOW - 60_000, until: NOW };

let gateway: JsonServer;
beforeAll(async () => {
  // As an API gateway refusing a key: it quotes the path and query it was asked.
  gateway = await startJsonServer((req) => ({
    status: 401,
    text: `invalid api key ${req.query.get('api_key')} for ${req.path}?${req.query}`,
  }));
});
afterAll(async () => {
  await gateway?.close();
});

const config = (metrics: string) => `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: ${metrics}
    gates:
      - { name: errors, kind: threshold, query: 'sum(rate(errors[1m]))', max: 0.02 }
`;

/** What the action writes to the log to mask (`::add-mask::…`) for `yaml`, and registers for redaction. */
function masked(yaml: string, env: Record<string, string>): string[] {
  const log: string[] = [];
  const write = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((text) => log.push(String(text).trim()) > 0);
  try {
    maskSecrets(secretValues(parseConfig(yaml, env).interpolated, env).values);
  } finally {
    write.mockRestore();
  }
  return log;
}

describe('a secret-named query parameter of a metrics url from the environment', () => {
  it('is masked in the log and left out of the message of a 401 that echoes it', async () => {
    const env = { PROMETHEUS_URL: `${gateway.url}/prom?api_key=${KEY}` };
    const yaml = config(`{ type: prometheus, url: "\${PROMETHEUS_URL}" }`);
    expect(masked(yaml, env)).toContain(`::add-mask::${KEY}`);

    const model = parseConfig(yaml, env).config.models.fraud;
    if (!model) throw new Error('no model fraud');
    const err = await metricsFor(model)
      .requests(w)
      .catch((e: unknown) => e);
    expect(gateway.requests.at(-1)?.query.get('api_key')).toBe(KEY);
    const message = (err as Error).message;
    expect(message).toMatch(
      /^prometheus: HTTP 401 .*\(invalid api key \*\*\* for \/prom\/api\/v1\/query\?api_key=\*\*\*&/,
    );
    expect(message).not.toContain(KEY);
  });

  it('is masked whatever the parameter is called by its service (key, token, code, sig), percent-decoded too', () => {
    const values = (url: string, env: Record<string, string>) =>
      secretValues(parseConfig(config(`{ type: prometheus, url: "${url}" }`), env).interpolated, env).values;
    expect(values(`https://m.example/q?key=\${GKEY}`, { GKEY: 'AIzaSyA-0123' })).toEqual(['AIzaSyA-0123']);
    expect(values(`\${URL}`, { URL: 'https://fn.example/api/rate?code=az%2Bfn%3D%3D&x=1' })).toEqual([
      'az%2Bfn%3D%3D',
      'az+fn==',
      'https://fn.example/api/rate?code=az%2Bfn%3D%3D&x=1',
    ]);
    expect(values(`\${URL}`, { URL: 'https://blob.example/m.json?sv=2022&sig=SAS0123abcd' })).toContain(
      'SAS0123abcd',
    );
    expect(values(`https://m.example/q?access_token=\${TOK}`, { TOK: 'tok-0123' })).toEqual(['tok-0123']);
  });

  it('is masked under the names refused written in the file: pwd, passwd, pass, jwt', () => {
    const values = (url: string, env: Record<string, string>) =>
      secretValues(parseConfig(config(`{ type: prometheus, url: "${url}" }`), env).interpolated, env).values;
    for (const name of ['pwd', 'passwd', 'pass', 'jwt'])
      expect(values(`https://m.example/q?${name}=\${V}`, { V: 'valueOF_SECRET_9876' })).toEqual([
        'valueOF_SECRET_9876',
      ]);
    expect(values(`\${URL}`, { URL: 'https://m.example/q?pwd=valueOF_SECRET_9876' })).toContain(
      'valueOF_SECRET_9876',
    );
  });

  it('is masked form-decoded too: a server reads its `+` as a space, and may echo it so', () => {
    const env = { PROMETHEUS_URL: 'https://m.example/q?api_key=Ab+Cd+Ef12' };
    const values = secretValues(
      parseConfig(config(`{ type: prometheus, url: "\${PROMETHEUS_URL}" }`), env).interpolated,
      env,
    ).values;
    expect(values).toContain('Ab Cd Ef12');
    addSecret('Ab Cd Ef12');
    expect(redact('invalid api key "Ab Cd Ef12"')).toBe('invalid api key "***"');
  });

  // One written in the file is refused (literal-url-secrets.test.ts).
  it('is not masked when it is named like no secret', () => {
    const env = { URL: 'https://m.example/q?tenant=acme-prod&region=eu', REGION: 'eu-west-1' };
    const values = (url: string) =>
      secretValues(parseConfig(config(`{ type: prometheus, url: "${url}" }`), env).interpolated, env).values;
    expect(values(`\${URL}`)).toEqual([]);
    expect(values(`https://m.example/q?tenant=acme&region=\${REGION}`)).toEqual([]);
  });
});
