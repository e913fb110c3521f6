/**
 * A latency line's `reference` (the stable version before the step) places the baseline's
 * quantile in `model-gate analyze` only when the live gate would use it: with fewer than 20
 * requests beyond the quantile, the gate reads it from the step's own baseline, and so must the
 * replay, or the two judge slow requests above different latencies.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveFraud, replayed, workspace } from './analyze-replay-vs-live.js';

const root = workspace();
const fraud = liveFraud(root, 'fraud.jsonl', [
  '{ name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }',
]);
const gate = fraud.gates[0];

const T0 = Date.UTC(2026, 10, 28, 10);
const NOW = T0 + 5 * 60_000;

/** Cumulative buckets from the requests at or below 50 ms and 100 ms, and all of them. */
const buckets = (le50: number, le100: number, all: number) => [
  { le: 50, count: le50 },
  { le: 100, count: le100 },
  { le: '+Inf', count: all },
];
// Before the step, a quiet stable version: 100 requests, its p95 under 50 ms, 4 beyond it.
const reference = buckets(96, 99, 100);
// In the step, the candidate is slower in the body (50% over 50 ms against 33%), not in the tail:
// 5% over 100 ms on both, so at the step's p95 (100 ms) it is no regression.
const baseline = buckets(18000, 25650, 27000);
const canary = buckets(1500, 2850, 3000);
/** The stable version's totals at the step's end: the reference's requests and the step's. */
const sinceStart = buckets(96 + 18000, 99 + 25650, 100 + 27000);

describe('analyze on a latency look whose reference is too small to place the quantile', () => {
  it('judges it as the live gate does, from the step baseline: no regression', async () => {
    const at = (ms: number) => new Date(ms).toISOString();
    writeFileSync(
      join(root, 'metrics', 'fraud.jsonl'),
      [
        { slot: 'stable', version: 'v1', time: at(T0 - 5 * 60_000), requests: 100, latency: reference },
        // Running totals (docs/metrics/file.md): the step's baseline is what came after the reference.
        { slot: 'stable', version: 'v1', time: at(NOW - 1000), requests: 27100, latency: sinceStart },
        { slot: 'canary', version: 'v2', time: at(NOW - 1000), requests: 3000, latency: canary },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    if (!gate) throw new Error('no gate');
    const live = await fraud.look(gate, T0, NOW, 10);
    expect(live.verdict).not.toBe('fail');

    const replay = await replayed(root, 'p95.jsonl', [
      {
        time: at(NOW),
        gate: 'p95',
        kind: 'latency',
        split: 0.1,
        quantile: 0.95,
        maxIncrease: 0.1,
        canary: { buckets: canary },
        baseline: { buckets: baseline },
        reference: { buckets: reference },
      },
    ]);
    // No regression found, not decided either: still waiting (exit code 4).
    expect(replay.status).toBe(4);
    const look = replay.gates.p95?.looks[0];
    expect(look?.verdict).toBe(live.verdict);
    expect(look?.evidence.eValue).toBe(live.evidence?.eValue);
    expect(look?.note).toContain('slower than 100');
  });
});
