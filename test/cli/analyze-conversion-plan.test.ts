/**
 * An A/B's conversion gate plans its sample size for its `min-detectable-effect` and `power`, and
 * its phase ends there: `model-gate analyze` replays a look of a gate configured with other values
 * than the defaults (10%, 0.8) with the same plan as the live gate, once the log says them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveFraud, replayed, workspace } from './analyze-replay-vs-live.js';

const root = workspace();
const fraud = liveFraud(root, 'fraud.json', [
  '{ name: checkout, kind: conversion, conversions: conversions, exposures: requests, min-detectable-effect: 5%, power: 0.9 }',
]);
const gate = fraud.gates[0];

const T0 = Date.UTC(2026, 10, 28, 10);
const NOW = T0 + 60 * 60_000;
const canary = { conversions: 250, total: 5000 };
const baseline = { conversions: 240, total: 5000 };

describe('analyze on a conversion look of a gate planned for a 5% effect at 90% power', () => {
  it('plans the same sample size as the live gate, and says so in the note', async () => {
    const slot = (a: typeof canary, version: string) => ({
      version,
      requests: a.total,
      conversions: a.conversions,
    });
    writeFileSync(
      join(root, 'metrics', 'fraud.json'),
      JSON.stringify({ slots: { canary: slot(canary, 'v2'), stable: slot(baseline, 'v1') } }),
    );
    if (!gate) throw new Error('no gate');
    const live = await fraud.look(gate, T0, NOW, 50);
    const planned = live.evidence?.sampleSize;
    expect(planned).toBeGreaterThan(0);

    const replay = await replayed(root, 'ab.jsonl', [
      {
        time: new Date(NOW).toISOString(),
        gate: 'checkout',
        kind: 'conversion',
        split: 0.5,
        canary,
        baseline,
        minDetectableEffect: 0.05,
        power: 0.9,
      },
    ]);
    const look = replay.gates.checkout?.looks[0];
    expect(look?.verdict).toBe(live.verdict);
    expect(look?.evidence.sampleSize).toBe(planned);
    // The same words, but for the arms' names: the live gate knows the versions, a replayed line does not.
    expect(look?.note).toBe(live.note?.replace('v2', 'the candidate').replace('v1', 'the baseline'));
  });
});
