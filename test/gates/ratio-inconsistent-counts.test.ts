import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { metricsFor } from '../../src/release/adapters.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';
import { type JsonServer, startJsonServer } from '../support/metrics-http.js';

// More events than requests is no rate at all: the events query counts something else (a wrong
// label, another metric). Only the sequential judge saw it; under `judge: threshold` a baseline
// "rate" of 5 (500%) passed a candidate failing 30% of its requests, and so did mann-whitney.

const T0 = 1_760_000_400_000; // a whole minute
const MINUTE = 60_000;
const NOW = T0 + 10 * MINUTE;

type Counts = { requests: number; errors: number };
/** What each slot counted in minute `m` of the step, by scenario. */
const SCENARIOS: Record<string, (slot: string, m: number) => Counts> = {
  // The stable errors query counts log lines, five per failed request: 5000 "errors" of 1000.
  'wrong-label': (slot) =>
    slot === 'stable' ? { requests: 100, errors: 500 } : { requests: 100, errors: 30 },
  // Stable's errors are scraped a minute ahead of its requests every other minute: the step's
  // counts agree (2550 of 5500) while half its minutes have more errors than requests.
  'odd-minutes': (slot, m) =>
    slot === 'stable'
      ? m % 2 === 0
        ? { requests: 1000, errors: 10 }
        : { requests: 100, errors: 500 }
      : { requests: 100, errors: 30 },
};

let server: JsonServer;

beforeAll(async () => {
  // GET /<scenario>/<slot>?since=<epoch s>&window=<n>s: the counts summed over the window's minutes.
  server = await startJsonServer((req) => {
    const [, scenario = '', slot = ''] = req.path.split('/');
    const counts = SCENARIOS[scenario];
    if (!counts) return { status: 404, body: { error: `no scenario ${scenario}` } };
    const first = (Number(req.query.get('since')) * 1000 - T0) / MINUTE;
    const minutes = Number.parseInt(req.query.get('window') ?? '', 10) / 60;
    const sum = { requests: 0, errors: 0 };
    for (let m = first; m < first + minutes; m++) {
      const c = counts(slot, m);
      sum.requests += c.requests;
      sum.errors += c.errors;
    }
    return { status: 200, body: sum };
  });
});
afterAll(async () => {
  await server?.close();
});

/** One look at fraud's errors gate on `scenario`, judged by `judge`, ten minutes into the step. */
async function look(scenario: string, judge: string) {
  const metrics = `{ type: http-json, url: "${server.url}/${scenario}/{{slot}}?since={{since}}&window={{window}}", requests: requests }`;
  const gate = `{ name: errors, kind: ratio, events: errors, max-increase: 10%, judge: ${judge} }`;
  const model = parseConfig(fraudOnSource(metrics, [gate]), {}).config.models.fraud;
  const first = model?.gates[0];
  if (!model || first?.kind !== 'ratio') throw new Error('no ratio gate');
  return measureRatio(first, fraudLook(metricsFor(model), T0, NOW));
}

describe('a ratio gate whose events outnumber its requests', () => {
  it.each(['threshold', 'mann-whitney', 'sequential'])(
    'is inconclusive under judge %s, naming the arm and its counts, not a pass against a 500% baseline',
    async (judge) => {
      expect(await look('wrong-label', judge)).toEqual({
        at: NOW,
        verdict: 'inconclusive',
        canary: 0.3,
        canaryRequests: 1000,
        baselineRequests: 1000,
        note: 'the stable slot (version v1): 5000 events of 1000 requests: more events than requests, the events query counts something else',
      });
    },
  );

  it('leaves such minutes out of the mann-whitney judge: the 30% candidate fails against the 1% left', async () => {
    const m = await look('odd-minutes', 'mann-whitney');
    expect(m.verdict).toBe('fail');
    // The baseline's mean is its 1% minutes alone: 30% is 30 times it.
    expect(m.note).toContain('classified High: shift 0.29 (0.29 to 0.29), meanRatio 30');
  });
});
