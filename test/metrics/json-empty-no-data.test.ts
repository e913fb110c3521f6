/**
 * SPEC section 4: missing, empty or NaN data is inconclusive until the deadline. An empty value
 * (`{"p99": ""}`, `"requests": ""`), a 204 or an empty 200 was an error instead, so a threshold
 * gate failed at its consecutive-error-limit, long before the step's deadline, where `null` and
 * "NaN" waited as no data.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ThresholdGateConfig } from '../../src/config/types.js';
import { foldMeasurement, measureThreshold } from '../../src/gates/threshold-gate.js';
import { fileSource } from '../../src/metrics/file-source.js';
import { NoDataError } from '../../src/metrics/no-data.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { newRelease } from '../../src/release/new-release.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, type Reply, startJsonServer } from '../support/metrics-http.js';

const T0 = 1_760_000_000_000;
const canary: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: T0, until: T0 + 60_000 };
const servers: JsonServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function fraudAnswered(reply: Reply) {
  const srv = await startJsonServer(() => reply);
  servers.push(srv);
  const model = parseConfig(
    fraudOnSource(`{ type: http-json, url: "${srv.url}/stats", timeout: 5s, requests: requests }`, [
      '{ name: p99, kind: threshold, query: p99, max: 100 }',
    ]),
    {},
  ).config.models.fraud;
  if (!model) throw new Error('no model');
  return { model, source: metricsFor(model), gate: model.gates[0] as ThresholdGateConfig };
}

describe('an http-json answer with an empty value or an empty body', () => {
  it.each([
    ['a 204', { status: 204 }],
    ['an empty 200', { status: 200, text: '' }],
    ['a value ""', { status: 200, body: { requests: 500, p99: '' } }],
    ['a requests count ""', { status: 200, body: { requests: '', p99: 1 } }],
  ] satisfies [string, Reply][])(
    'is no data: %s keeps the gate pending past consecutive-error-limit',
    async (_, reply) => {
      const { model, source, gate } = await fraudAnswered(reply);
      let state = newRelease(model, { from: 'v1', to: 'v2', pr: 1, headSha: 'a'.repeat(40), now: T0 })
        .gates[0];
      if (!state) throw new Error('no gate state');
      for (let look = 0; look <= gate.consecutiveErrorLimit + 1; look++) {
        const m = await measureThreshold(gate, fraudLook(source, T0, T0 + 60_000 + look * 30_000, 1));
        expect(m.verdict).toBe('inconclusive');
        state = foldMeasurement(state, gate, m);
      }
      expect(state.verdict).toBe('pending');
    },
  );

  it('says a 204 is no data for the arm, and what to do if the endpoint answers so with metrics', async () => {
    const { source } = await fraudAnswered({ status: 204 });
    const err = await source.requests(canary).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoDataError);
    expect((err as Error).message).toMatch(
      /^http-json: http:\/\/127\.0\.0\.1:\d+\/stats answered HTTP 204 with an empty body, which is no data for the canary slot \(version v2\); if it answers so when it has metrics too, have it answer 200 with the JSON document the selectors read \("requests"\)$/,
    );
  });

  it('is no data for a value "" or blank, as for null and "NaN"; "0" is still 0', async () => {
    for (const p99 of ['', '  ', null, 'NaN']) {
      const { source } = await fraudAnswered({ status: 200, body: { requests: 500, p99 } });
      expect(await source.value('p99', canary)).toBeUndefined();
    }
    const { source } = await fraudAnswered({ status: 200, body: { requests: 500, p99: '0' } });
    expect(await source.value('p99', canary)).toBe(0);
  });
});

describe('a metrics file with an empty value', () => {
  let root: string | undefined;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is no data for a gate query and for a count, never 0 or an error', async () => {
    root = await mkdtemp(join(tmpdir(), 'model-gate-file-empty-'));
    await writeFile(join(root, 'm.json'), JSON.stringify({ slots: { canary: { requests: '', p99: '' } } }));
    const source = fileSource({ type: 'file', path: 'm.json', requests: 'requests' }, root);
    expect(await source.value('p99', canary)).toBeUndefined();
    await expect(source.requests(canary)).rejects.toThrow(NoDataError);
    await expect(source.requests(canary)).rejects.toThrow(/matched nothing .* holds "" there/);
  });
});
