/**
 * `model-gate analyze` runs the live gates' stopped-candidate check: a candidate whose request
 * count stood still for 2 minutes while the stable version's grew enough that the configured split
 * owed it 20 requests (it crashed, or its metrics stopped) is no evidence, so its looks are
 * inconclusive instead of passing on the counts it had. Compared with the live watch's code path
 * (lookAtGate, each look carrying the one before, on a real `file` metric source) over the same
 * minutes of a 10% step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';
import type { FileMetricsConfig } from '../../src/config/types.js';
import { lookAtGate } from '../../src/gates/live-gates.js';
import { fileSource } from '../../src/metrics/file-source.js';
import type { GateState, Measurement } from '../../src/release/types.js';
import { fraudLook } from '../support/fraud-on-source.js';
import { liveFraud, replayed, workspace } from './analyze-replay-vs-live.js';

const root = workspace();
const T0 = Date.UTC(2026, 10, 28, 10);
const MINUTE = 60_000;
const LOOKS = 7;

/**
 * Requests each arm served by minute `m` of the step: 800 a second on the candidate (its 10%)
 * until it stops 3 minutes in, 7,200 a second on the stable version throughout; 1% errors and
 * 5% requests slower than 100 ms on both.
 */
const canaryAt = (m: number) => Math.min(m, 3) * 48_000;
const stableAt = (m: number) => m * 432_000;
const latency = (n: number) => [
  { le: 50, count: Math.round(n * 0.95 * 0.7) },
  { le: 100, count: Math.round(n * 0.95) },
  { le: '+Inf', count: n },
];

/** The step's looks, one a minute, by the live watch with its gate configured alone (alpha 0.05). */
async function liveLooks(gate: string, file: string): Promise<Measurement[]> {
  const [config] = liveFraud(root, file, [gate]).gates;
  if (!config) throw new Error('no gate');
  const metrics = fileSource(
    { type: 'file', path: `metrics/${file}`, requests: 'requests' } as FileMetricsConfig,
    root,
  );
  let state: GateState = {
    name: config.name,
    kind: config.kind,
    verdict: 'pending',
    failures: 0,
    inconclusives: 0,
    consecutiveErrors: 0,
  };
  const looks: Measurement[] = [];
  for (let m = 1; m <= LOOKS; m++) {
    const slot = (requests: number, version: string) => ({
      version,
      requests,
      errors: requests / 100,
      latency: latency(requests),
    });
    writeFileSync(
      join(root, 'metrics', file),
      JSON.stringify({ slots: { canary: slot(canaryAt(m), 'v2'), stable: slot(stableAt(m), 'v1') } }),
    );
    state = await lookAtGate(config, state, { ...fraudLook(metrics, T0, T0 + m * MINUTE), weight: 10 });
    looks.push(state.last as Measurement);
  }
  return looks;
}

/** The same minutes as an observation log's lines of `kind` (with `split` unless told otherwise). */
function logLines(gate: string, kind: 'ratio' | 'latency', split: number | undefined) {
  return Array.from({ length: LOOKS }, (_, i) => {
    const [canary, stable] = [canaryAt(i + 1), stableAt(i + 1)];
    const line = {
      time: new Date(T0 + (i + 1) * MINUTE).toISOString(),
      gate,
      kind,
      ...(split === undefined ? {} : { split }),
      maxIncrease: 0.1,
    };
    return kind === 'ratio'
      ? {
          ...line,
          canary: { events: canary / 100, total: canary },
          baseline: { events: stable / 100, total: stable },
        }
      : {
          ...line,
          quantile: 0.95,
          canary: { buckets: latency(canary) },
          baseline: { buckets: latency(stable) },
        };
  });
}

/** The live note as the log says it: it names no versions, and its arms `canary` and `baseline`. */
const unnamed = (note: string | undefined) =>
  note?.replace("v2's", "the candidate's").replace("v1's", "the baseline's");

describe('analyze on a 10% step whose candidate stopped 3 minutes in, against the live gates', () => {
  it('does not pass a ratio gate on the counts the stopped candidate left: inconclusive from 2 minutes on, as live', async () => {
    const live = await liveLooks(
      '{ name: errors, kind: ratio, events: errors, max-increase: 10% }',
      'ratio.json',
    );
    const replay = await replayed(root, 'ratio.jsonl', logLines('errors', 'ratio', 0.1));
    // Live: waiting while the evidence builds, then inconclusive once the count stood still 2m
    // (a step's deadline fails it); the judge alone passed the 5th look on the old counts.
    expect(live.map((m) => m.verdict)).toEqual([
      'waiting',
      'waiting',
      'waiting',
      'waiting',
      'inconclusive',
      'inconclusive',
      'inconclusive',
    ]);
    const looks = replay.gates.errors?.looks ?? [];
    expect(looks.map((l) => l.verdict)).toEqual(live.map((m) => m.verdict));
    expect(looks.map((l) => l.note).slice(4)).toEqual(live.slice(4).map((m) => unnamed(m.note)));
    expect(looks[4]?.note).toBe(
      "the candidate's request count stayed at 144000 for 2m while the baseline's grew by 864000, when about 96000 were due to it at 10% of live traffic: its metrics or the candidate itself stopped",
    );
    // No e-value of a judge on counts that stood still, as the live report shows none.
    expect(looks[4]?.evidence.eValue).toBeUndefined();
    // Undecided (exit 4), not passed (0).
    expect(replay.status).toBe(4);
  });

  it('turns a latency gate that passed on the old counts inconclusive alike, keeping its pass from before the stop', async () => {
    const live = await liveLooks(
      '{ name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }',
      'latency.json',
    );
    const replay = await replayed(root, 'latency.jsonl', logLines('p95', 'latency', 0.1));
    const looks = replay.gates.p95?.looks ?? [];
    expect(live.slice(4).map((m) => m.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(looks.map((l) => l.verdict)).toEqual(live.map((m) => m.verdict));
    expect(looks.map((l) => l.note).slice(4)).toEqual(live.slice(4).map((m) => unnamed(m.note)));
    // It passed at its first look, before the candidate stopped: that pass stands, as in the step.
    expect(replay.status).toBe(0);
  });
});

describe('analyze on lines without `split`, which the check needs', () => {
  // Two gates' lines interleaved: errors (the candidate stopped 3 minutes in) on odd lines, p95
  // (a candidate whose count grows at every look) on even ones; the 5th errors look is line 9.
  const lines = logLines('errors', 'ratio', undefined).flatMap((errors, i) => {
    const [p95] = logLines('p95', 'latency', undefined).slice(i);
    const growing = { ...p95, canary: { buckets: latency((i + 1) * 48_000) } };
    return [errors, growing];
  });
  const NOT_RUN =
    "stopped-candidate check not run, for want of `split`: at line 9 the candidate's request count had stayed at 144000 for 2m while the baseline's grew by 864000, which a live gate reads as stopped (the look inconclusive) when its split owed the candidate 20 of them; give the lines their `split` to check it";

  it('says once, for the gate whose candidate count stood still, that the check was not run, and keeps the judge’s verdicts', async () => {
    const replay = await replayed(root, 'no-split.jsonl', lines);
    const errors = replay.gates.errors as (typeof replay.gates)[string] & { stoppedCheckNotRun?: object };
    const p95 = replay.gates.p95 as (typeof replay.gates)[string] & { stoppedCheckNotRun?: object };
    expect(errors.stoppedCheckNotRun).toEqual({ line: 9, note: NOT_RUN });
    // Its looks are the judge's: the replay cannot weigh the stop without the split.
    expect(errors.looks.map((l) => l.verdict)).not.toContain('inconclusive');
    // A candidate whose count grew at every look gives the check nothing: no word on it.
    expect(p95.stoppedCheckNotRun).toBeUndefined();

    const file = join(root, 'no-split.jsonl');
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    try {
      await analyzeCommand([file]);
    } finally {
      log.mockRestore();
    }
    const summary = out.join('\n').split('\nsummary\n')[1] ?? '';
    expect(summary.split('\n').filter((l) => l.includes('stopped-candidate'))).toEqual([`    ${NOT_RUN}`]);
    // Under the errors gate's own summary line.
    expect(summary).toMatch(
      /^ {2}errors: undecided, waiting at [^\n]*\n {4}stopped-candidate check not run/m,
    );
  });
});
