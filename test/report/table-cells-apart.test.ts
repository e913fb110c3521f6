import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/release/types.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// A gate's own note told a value from its bound (`0.909996 is below the min 0.910000`), but its
// table row read `0.9100` beside `≥ 0.9100` and ❌: equal numbers and a failure. The cells a gate
// compares read with the digits that tell them apart, in the PR comment and the terminal alike;
// values apart at the usual digits read as they did.

const STRATEGY = '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }';

/** fraud's release under one threshold gate on `query`, the candidate and stable reading these values. */
async function releasedWith(gate: string, query: string, canary: number, stable: number) {
  const config = configWith(STRATEGY, [gate]);
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { [query]: stable } },
    canary: { rps: 40, values: { [query]: canary } },
  });
  const release: Release = await released(config, metrics);
  return { config, release, text: report(config, release) };
}

describe('the row of a gate failed by a value just past its bound', () => {
  it('shows the value and the min it is below apart, as its note does', async () => {
    const { release, text } = await releasedWith(
      '{ name: accuracy, kind: threshold, query: accuracy, min: 0.91 }',
      'accuracy',
      0.909996,
      0.93,
    );
    expect(release.status).toBe('failed');
    expect(row(text, 'accuracy (accuracy)')).toBe(
      '| accuracy (accuracy) | 0.909996 (400 req) | 0.9300 (900 req) | ≥ 0.910000 | ❌ fail: 0.909996 is below the min 0.910000 |',
    );
  });

  it('shows a share and the max it is above apart, in the terminal too', async () => {
    const { config, release, text } = await releasedWith(
      '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }',
      'error-rate',
      0.020004,
      0.005,
    );
    expect(row(text, 'errors (error-rate)')).toBe(
      '| errors (error-rate) | 2.0004% (400 req) | 0.50% (900 req) | ≤ 2.0000% | ❌ fail: 2.0004% is above the max 2.0000% |',
    );
    const terminal = renderTerminal(config, { releases: [release], skipped: [] }, release.updatedAt);
    expect(terminal).toMatch(
      /errors \(error-rate\) +2\.0004% \(400 req\) +0\.50% \(900 req\) +≤ 2\.0000% +❌ fail/,
    );
  });

  it('shows the candidate and the baseline apart where the gate compares them', async () => {
    const { text } = await releasedWith(
      '{ name: errors, kind: threshold, query: error-rate, max-increase: 0.1% }',
      'error-rate',
      0.02003,
      0.02,
    );
    expect(row(text, 'errors (error-rate)')).toBe(
      '| errors (error-rate) | 2.003% (400 req) | 2.000% (900 req) | ≤ baseline +0.1% | ❌ fail: 2.003% is 0.15% over the baseline 2.000% (max +0.1%) |',
    );
  });

  it('keeps the usual digits where they already tell the value from its bound', async () => {
    const { text } = await releasedWith(
      '{ name: accuracy, kind: threshold, query: accuracy, min: 0.91, max: 0.99 }',
      'accuracy',
      0.87,
      0.9300001,
    );
    expect(row(text, 'accuracy (accuracy)')).toBe(
      '| accuracy (accuracy) | 0.8700 (400 req) | 0.9300 (900 req) | ≥ 0.9100, ≤ 0.9900 | ❌ fail: 0.8700 is below the min 0.9100 |',
    );
  });
});
