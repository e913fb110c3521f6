/**
 * Histogram buckets in an observation log are read as the live metric sources read them (the
 * checks selectBuckets and the log share): in order of `le` whatever order they are written in,
 * and refused without a `+Inf` bucket, with an `le` twice or with counts that are not cumulative.
 * The docs' latency example, looked at by the live gate on a real `file` source and replayed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';
import { liveFraud, replayed, workspace } from './analyze-replay-vs-live.js';

const root = workspace();
const fraud = liveFraud(root, 'fraud.json', [
  '{ name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }',
]);
const gate = fraud.gates[0];

const T0 = Date.UTC(2026, 10, 28, 10);
const NOW = T0 + 5 * 60_000;
type Buckets = { le: number | '+Inf'; count: number }[];
// docs/observations.md's latency line: the candidate's p95 near 96 ms, the baseline's near 81 ms.
const canary: Buckets = [
  { le: 50, count: 900 },
  { le: 75, count: 1350 },
  { le: 100, count: 1440 },
  { le: '+Inf', count: 1500 },
];
const baseline: Buckets = [
  { le: 50, count: 17600 },
  { le: 75, count: 26900 },
  { le: 100, count: 28100 },
  { le: '+Inf', count: 28500 },
];

/** The live gate's look on a 5% step whose candidate histogram is `canaryBuckets`. */
async function live(canaryBuckets: Buckets) {
  const slot = (latency: Buckets, version: string) => ({ version, requests: latency.at(-1)?.count, latency });
  writeFileSync(
    join(root, 'metrics', 'fraud.json'),
    JSON.stringify({ slots: { canary: slot(canaryBuckets, 'v2'), stable: slot(baseline, 'v1') } }),
  );
  if (!gate) throw new Error('no gate');
  return fraud.look(gate, T0, NOW, 5);
}

const line = (canaryBuckets: Buckets) => ({
  time: NOW,
  gate: 'p95',
  kind: 'latency',
  split: 0.05,
  quantile: 0.95,
  maxIncrease: 0.1,
  canary: { buckets: canaryBuckets },
  baseline: { buckets: baseline },
});

/** `model-gate analyze` on the one line: its exit code and what it printed to stderr. */
async function analyzeBad(name: string, canaryBuckets: Buckets) {
  const file = join(root, name);
  writeFileSync(file, `${JSON.stringify(line(canaryBuckets))}\n`);
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { file, status: await analyzeCommand([file]), err };
}

afterEach(() => vi.restoreAllMocks());

describe('analyze on histogram buckets, against the live gate on the same buckets', () => {
  it('sorts them by le: the "+Inf" bucket written first fails the slower candidate, as live', async () => {
    const infFirst = [canary[3], ...canary.slice(0, 3)] as Buckets;
    const look = await live(infFirst);
    expect(look.verdict).toBe('fail');
    const replay = await replayed(root, 'inf-first.jsonl', [line(infFirst)]);
    expect(replay.status).toBe(1);
    expect(replay.gates.p95?.looks[0]?.verdict).toBe('fail');
    expect(replay.gates.p95?.looks[0]?.evidence.eValue).toBe(look.evidence?.eValue);
    expect(look.canary).toBeCloseTo(95.83, 2);
    expect(replay.gates.p95?.looks[0]?.evidence.canary?.value).toBe(look.canary);
  });

  it.each([
    ['without a "+Inf" bucket', canary.slice(0, 3), 'has no "+Inf" bucket, so the total is unknown'],
    ['with an le twice', [...canary, { le: 100, count: 1440 }] as Buckets, 'has two buckets with "le" 100'],
    [
      'whose counts are not cumulative',
      [canary[0], { le: 75, count: 450 }, canary[2], canary[3]] as Buckets,
      'is not cumulative ("le" 75 counts 450, fewer than the 900 at or below 50): each count must include the buckets below it',
    ],
  ])(
    'refuses buckets %s, naming the line and field, as the live source refuses them',
    async (_, bad, why) => {
      const look = await live(bad);
      expect(look.verdict).toBe('error');
      expect(look.note).toContain(why);
      const { file, status, err } = await analyzeBad('bad-buckets.jsonl', bad);
      expect(status).toBe(3);
      expect(err).toEqual([`model-gate analyze: ${file}:1: canary.buckets: ${why}`]);
    },
  );
});
