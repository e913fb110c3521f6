/**
 * `model-gate analyze` names each look's verdict as the live gate records it: a look whose judge
 * computed its evidence without deciding is `waiting` (a step's deadline passes it as no regression
 * found), one without usable data `inconclusive` (a deadline fails it). Ratio, latency, conversion
 * and drift gates on the same counts, looked at by the live watch's code path (lookAtGate on a
 * real `file` metric source) and replayed from an observation log.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';
import type { Measurement } from '../../src/release/types.js';
import { liveFraud, replayed, workspace } from './analyze-replay-vs-live.js';

const root = workspace();
const fraud = liveFraud(root, 'fraud.json', [
  '{ name: errors, kind: ratio, events: errors, max-increase: 10% }',
  '{ name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }',
  '{ name: checkout, kind: conversion, conversions: conversions, exposures: requests }',
  '{ name: scores, kind: drift, buckets: scores, max-distance: 0.1 }',
]);

/** What one arm served over the step so far; a field left out is one the backend had no data for. */
interface Arm {
  requests: number;
  errors?: number;
  slow?: number;
  conversions?: number;
  /** The share of scored predictions at or below 0.5 (none without a prediction histogram). */
  low?: number;
}
/** One request in ten has its prediction scored into the histogram. */
const scored = (a: Arm) => a.requests / 10;
const latency = (a: Arm) =>
  a.slow === undefined
    ? []
    : [
        { le: 50, count: Math.round((a.requests - a.slow) * 0.7) },
        { le: 100, count: a.requests - a.slow },
        { le: '+Inf', count: a.requests },
      ];
const scores = (a: Arm) =>
  a.low === undefined
    ? []
    : [
        { le: 0.5, count: Math.round(scored(a) * a.low) },
        { le: '+Inf', count: scored(a) },
      ];

const T0 = Date.UTC(2026, 10, 28, 10);
const NOW = T0 + 5 * 60_000;
const TIME = new Date(NOW).toISOString();

/** Each gate's look by the live watch's code path on a 10% step with these counts. */
async function liveLooks(canary: Arm, stable: Arm): Promise<Record<string, Measurement>> {
  const slot = (a: Arm, version: string) => {
    const histograms = { latency: latency(a), scores: scores(a) };
    return {
      version,
      requests: a.requests,
      ...(a.errors === undefined ? {} : { errors: a.errors }),
      ...(a.conversions === undefined ? {} : { conversions: a.conversions }),
      ...Object.fromEntries(Object.entries(histograms).filter(([, b]) => b.length > 0)),
    };
  };
  writeFileSync(
    join(root, 'metrics', 'fraud.json'),
    JSON.stringify({ slots: { canary: slot(canary, 'v2'), stable: slot(stable, 'v1') } }),
  );
  const looks: Record<string, Measurement> = {};
  for (const gate of fraud.gates) looks[gate.name] = await fraud.look(gate, T0, NOW, 10);
  return looks;
}

/** The same look as an observation log writes it: `null` for a missing count, `[]` for no histogram. */
function logLines(canary: Arm, stable: Arm) {
  const line = { time: TIME, split: 0.1 };
  return [
    {
      ...line,
      gate: 'errors',
      kind: 'ratio',
      canary: { events: canary.errors ?? null, total: canary.requests },
      baseline: { events: stable.errors ?? null, total: stable.requests },
    },
    {
      ...line,
      gate: 'p95',
      kind: 'latency',
      quantile: 0.95,
      canary: { buckets: latency(canary) },
      baseline: { buckets: latency(stable) },
    },
    {
      ...line,
      gate: 'checkout',
      kind: 'conversion',
      canary: { conversions: canary.conversions ?? null, total: canary.requests },
      baseline: { conversions: stable.conversions ?? null, total: stable.requests },
    },
    {
      ...line,
      gate: 'scores',
      kind: 'drift',
      canary: { buckets: scores(canary) },
      baseline: { buckets: scores(stable) },
    },
  ];
}

/** Every gate's replayed verdict next to its live one, by gate name. */
async function bothVerdicts(name: string, canary: Arm, stable: Arm) {
  const live = await liveLooks(canary, stable);
  const replay = await replayed(root, name, logLines(canary, stable));
  const verdicts = (of: (gate: string) => string | undefined) =>
    Object.fromEntries(fraud.gates.map((g) => [g.name, of(g.name)]));
  return {
    live: verdicts((g) => live[g]?.verdict),
    replayed: verdicts((g) => replay.gates[g]?.looks[0]?.verdict),
    replay,
  };
}

const every = (verdict: string) => ({ errors: verdict, p95: verdict, checkout: verdict, scores: verdict });

// 3,000 candidate requests against 27,000: 1% errors, 5% slow, 5% conversions, half the scores low.
const healthy = { requests: 3000, errors: 30, slow: 150, conversions: 150, low: 0.5 };
const stable = { requests: 27000, errors: 270, slow: 1350, conversions: 1350, low: 0.5 };

afterEach(() => vi.restoreAllMocks());

describe("analyze's verdict of a look, against the live gate's on the same data", () => {
  it('is waiting where the judges have evidence but have not decided yet, as the live gates record', async () => {
    const { live, replayed: replay } = await bothVerdicts('early.jsonl', healthy, stable);
    expect(live).toEqual(every('waiting'));
    expect(replay).toEqual(live);
  });

  it('is inconclusive where the data is missing, as the live gates record', async () => {
    const { live, replayed: replay } = await bothVerdicts('no-data.jsonl', { requests: 3000 }, stable);
    expect(live).toEqual(every('inconclusive'));
    expect(replay).toEqual(live);
  });

  it('fails where the candidate regressed, as the live gates do', async () => {
    const regressed = { requests: 3000, errors: 90, slow: 450, conversions: 60, low: 0.9 };
    const { live, replayed: replay } = await bothVerdicts('regressed.jsonl', regressed, stable);
    expect(live).toEqual(every('fail'));
    expect(replay).toEqual(live);
  });
});

describe("analyze's text and summary of undecided gates", () => {
  // An early look of a healthy step (ratio, drift), and one whose error counts are missing.
  const healthyLines = logLines(healthy, stable);
  const missingLines = logLines({ requests: 3000 }, stable);
  const undecidedLog = [healthyLines[0], healthyLines[3], { ...missingLines[0], gate: 'nulls' }] as object[];

  it('prints waiting and inconclusive apart, per look and in the summary', async () => {
    const file = join(root, 'undecided.jsonl');
    writeFileSync(file, `${undecidedLog.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    // Nothing failed, nothing decided: exit code 4.
    expect(await analyzeCommand([file])).toBe(4);
    const text = out.join('\n');
    expect(text).toContain(`errors (ratio)\n  ${TIME}  waiting      effect 1 `);
    expect(text).toContain(`scores (drift)\n  ${TIME}  waiting `);
    expect(text).toContain(`nulls (ratio)\n  ${TIME}  inconclusive `);
    const summary = text.slice(text.indexOf('\nsummary\n'));
    expect(summary).toContain(`errors: undecided, waiting at ${TIME} (line 1)`);
    expect(summary).toContain(`scores: undecided, waiting at ${TIME} (line 2)`);
    expect(summary).toContain(`nulls: undecided, inconclusive at ${TIME} (line 3)`);
  });

  it('gives where each undecided gate stands in --json', async () => {
    const json = await replayed(root, 'undecided-json.jsonl', undecidedLog);
    const undecided = (g: string) => (json.gates[g] as { undecided?: unknown } | undefined)?.undecided;
    expect(undecided('errors')).toEqual({ verdict: 'waiting', time: TIME, line: 1 });
    expect(undecided('scores')).toEqual({ verdict: 'waiting', time: TIME, line: 2 });
    expect(undecided('nulls')).toEqual({ verdict: 'inconclusive', time: TIME, line: 3 });
  });
});
