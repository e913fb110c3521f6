/**
 * `model-gate analyze` on a recorded 10% canary step judges the ratio and latency gates as the
 * live watch does: the same judge on the same counts (lookAtGate on a real `file` metric source),
 * at the same alpha, with the same verdict and evidence. Both weigh the arms by the requests each
 * served, so the recorded (configured) split changes nothing: a healthy candidate that served
 * 12% at a 10% split is no regression in either.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Measurement } from '../../src/release/types.js';
import { liveFraud, replayed, workspace } from './analyze-replay-vs-live.js';

const root = workspace();
const fraud = liveFraud(root, 'fraud.json', [
  '{ name: errors, kind: ratio, events: errors, max-increase: 10% }',
  '{ name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }',
]);

/** What one arm served over the step so far: requests, errors, and requests slower than 100 ms. */
interface Arm {
  requests: number;
  errors: number;
  slow: number;
}
const buckets = (a: Arm) => [
  { le: 50, count: Math.round((a.requests - a.slow) * 0.7) },
  { le: 100, count: a.requests - a.slow },
  { le: '+Inf', count: a.requests },
];

const T0 = Date.UTC(2026, 10, 28, 10);
const NOW = T0 + 5 * 60_000;

/** Each gate's look by the live watch's code path, on the step at `weight`% with these counts. */
async function liveLooks(canary: Arm, stable: Arm, weight: number): Promise<Record<string, Measurement>> {
  const slot = (a: Arm, version: string) => ({
    version,
    requests: a.requests,
    errors: a.errors,
    latency: buckets(a),
  });
  writeFileSync(
    join(root, 'metrics', 'fraud.json'),
    JSON.stringify({ slots: { canary: slot(canary, 'v2'), stable: slot(stable, 'v1') } }),
  );
  const looks: Record<string, Measurement> = {};
  for (const gate of fraud.gates) looks[gate.name] = await fraud.look(gate, T0, NOW, weight);
  return looks;
}

/** The same look as two lines of an observation log, at the recorded `split`. */
function logLines(canary: Arm, stable: Arm, split: number) {
  const time = new Date(NOW).toISOString();
  return [
    {
      time,
      gate: 'errors',
      kind: 'ratio',
      split,
      canary: { events: canary.errors, total: canary.requests },
      baseline: { events: stable.errors, total: stable.requests },
      maxIncrease: 0.1,
    },
    {
      time,
      gate: 'p95',
      kind: 'latency',
      split,
      quantile: 0.95,
      maxIncrease: 0.1,
      canary: { buckets: buckets(canary) },
      baseline: { buckets: buckets(stable) },
    },
  ];
}

async function judgedAlike(canary: Arm, stable: Arm, split: number) {
  const live = await liveLooks(canary, stable, split * 100);
  const replay = await replayed(root, `step-${canary.requests}.jsonl`, logLines(canary, stable, split));
  for (const gate of fraud.gates) {
    const r = replay.gates[gate.name];
    const l = live[gate.name] as Measurement;
    expect(r?.alpha, gate.name).toBe((gate as { alpha: number }).alpha);
    expect(r?.looks[0]?.verdict, gate.name).toBe(l.verdict);
    expect(r?.looks[0]?.evidence.effect, gate.name).toBe(l.evidence?.effect);
    expect(r?.looks[0]?.evidence.eValue, gate.name).toBe(l.evidence?.eValue);
  }
  return { live, replay };
}

describe('analyze on a recorded 10% canary step, against the live gates on the same counts', () => {
  it('does not judge a healthy candidate (1% errors, 5% slow requests on both) a regression', async () => {
    const { live, replay } = await judgedAlike(
      { requests: 3000, errors: 30, slow: 150 },
      { requests: 27000, errors: 270, slow: 1350 },
      0.1,
    );
    // Both still waiting: no gate failed, and none has decided (exit code 4).
    expect(replay.status).toBe(4);
    expect(Object.values(live).map((m) => m.verdict)).toEqual(['waiting', 'waiting']);
  });

  it('fails the candidate whose per-request error rate and share of slow requests double', async () => {
    const { live, replay } = await judgedAlike(
      { requests: 3000, errors: 60, slow: 300 },
      { requests: 27000, errors: 270, slow: 1350 },
      0.1,
    );
    expect(replay.status).toBe(1);
    expect(Object.values(live).map((m) => m.verdict)).toEqual(['fail', 'fail']);
    expect(replay.gates.errors?.looks[0]?.evidence.effect).toBeCloseTo(2, 10);
  });

  it('does not fail a healthy candidate that served 12% of the requests at a recorded 10% split', async () => {
    // 12% of the events is a regression only against the configured 10% (×1.23 > ×1.1), and with
    // 15,000 events a judge weighing the arms by that split would fail it; per request the rates
    // are equal (5% errors, 5% slow), and that is what both judge.
    const { live, replay } = await judgedAlike(
      { requests: 36000, errors: 1800, slow: 1800 },
      { requests: 264000, errors: 13200, slow: 13200 },
      0.1,
    );
    expect(replay.status).toBe(0);
    expect(Object.values(live).map((m) => m.verdict)).not.toContain('fail');
  });
});
