import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { GateConfig, ModelConfig } from '../../src/config/types.js';
import { measureRatio, measureSrm } from '../../src/gates/ratio-gate.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import { fileSource } from '../../src/metrics/file-source.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// The http-json and file sources read a `requests` selector that matched nothing as 0 requests:
// every gate waited on "0 of 100 candidate requests" (a misspelt selector looked like a candidate
// without traffic), and the split check rolled the candidate back as a sample ratio mismatch. A
// selector that picks no number is no data now, the look's note naming the selector and the arm.

const T0 = 1_760_000_000_000;
const UNTIL = T0 + 60_000;

let server: JsonServer;
let root: string;

beforeAll(async () => {
  // Both slots served requests; the stable answer has them, the candidate's answer not yet.
  server = await startJsonServer((req) => {
    const slot = /\/slots\/([a-z]+)$/.exec(req.path)?.[1];
    if (slot === 'stable') return { status: 200, body: { stats: { requests: 900, errors: 9, p99: 0.2 } } };
    return { status: 200, body: { stats: { errors: 1, p99: null } } };
  });
  root = await mkdtemp(join(tmpdir(), 'model-gate-json-no-match-'));
});
afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** fraud on the http-json stand-in with `requests` as its request-count selector, judged by `gate`. */
function onHttpJson(requests: string, gate: string): { model: ModelConfig; gate: GateConfig } {
  const metrics = `{ type: http-json, url: "${server.url}/slots/{{slot}}", requests: "${requests}" }`;
  const model = parseConfig(fraudOnSource(metrics, [gate]), {}).config.models.fraud;
  const first = model?.gates[0];
  if (!model || !first) throw new Error('model lost');
  return { model, gate: first };
}

const look = (model: ModelConfig) => ({ ...fraudLook(metricsFor(model), T0, UNTIL), weight: 10 });

describe('a requests selector that matches nothing on http-json', () => {
  const noRequests = (selector: string) =>
    `http-json: the requests query matched nothing for the canary slot (version v2), which is no data, not 0: the answer of ${server.url}/slots/canary has nothing there; check the selector (metrics.requests); a count of 0 must be written as 0: "${selector}"`;

  it('leaves a threshold gate inconclusive, naming the selector, instead of waiting on 0 requests', async () => {
    // Misspelt: the answers hold stats.requests.
    const { model, gate } = onHttpJson(
      'stats.request',
      '{ name: p99, kind: threshold, query: stats.p99, max: 1 }',
    );
    if (gate.kind !== 'threshold') throw new Error('not a threshold gate');
    expect(await measureThreshold(gate, look(model))).toEqual({
      at: UNTIL,
      verdict: 'inconclusive',
      note: noRequests('stats.request'),
    });
  });

  it("leaves a ratio gate (total: the source's requests) inconclusive, naming the selector", async () => {
    const { model, gate } = onHttpJson(
      'stats.requests',
      '{ name: errors, kind: ratio, events: stats.errors, max-increase: 10% }',
    );
    if (gate.kind !== 'ratio') throw new Error('not a ratio gate');
    expect(await measureRatio(gate, look(model))).toEqual({
      at: UNTIL,
      verdict: 'inconclusive',
      note: noRequests('stats.requests'),
    });
  });

  it('is no split mismatch: the srm gate has no data for the candidate, it does not fail it', async () => {
    const { model, gate } = onHttpJson('stats.requests', '{ name: split, kind: srm }');
    if (gate.kind !== 'srm') throw new Error('not an srm gate');
    expect(await measureSrm(gate, look(model))).toEqual({
      at: UNTIL,
      verdict: 'inconclusive',
      note: noRequests('stats.requests'),
    });
  });
});

describe('a file without the candidate entry (not written yet, or an older version)', () => {
  it('is no data for the request count and counts, naming the file and selector, never 0', async () => {
    await writeFile(
      join(root, 'm.json'),
      JSON.stringify({
        slots: {
          stable: { version: 'v1', requests: 900, errors: 9 },
          canary: { version: 'v1', requests: 50, errors: 0 },
        },
      }),
    );
    const source = fileSource({ type: 'file', path: 'm.json', requests: 'requests' }, root);
    const canary = { model: 'fraud', slot: 'canary' as const, version: 'v2', since: T0, until: UNTIL };
    const stale =
      "m.json has no entry for it (an entry stating another version is not this one's); check the selector";
    await expect(source.requests(canary)).rejects.toThrow(
      `file: the requests query matched nothing for the canary slot (version v2), which is no data, not 0: ${stale} (metrics.requests); a count of 0 must be written as 0: "requests"`,
    );
    await expect(source.count?.('errors', canary)).rejects.toThrow(
      `file: the count query matched nothing for the canary slot (version v2), which is no data, not 0: ${stale}; a count of 0 must be written as 0: "errors"`,
    );
    const ctx = { ...fraudLook(source, T0, UNTIL), weight: 10 };
    const split = await measureSrm(
      { kind: 'srm', name: 'split', maxMismatch: 0.1, alpha: 0.05, consecutiveErrorLimit: 4 },
      ctx,
    );
    expect(split.verdict).toBe('inconclusive');
  });
});
