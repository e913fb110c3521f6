/**
 * What `model-gate analyze` prints says what the log holds: latencies in the unit the line gives
 * (bare without one, as a live gate prints a query whose unit it does not know; never "ms" for
 * buckets in seconds), a lone gate's alpha without a "split", and an overwhelming e-value as
 * `>10¹²` (the judge's exp() overflows to ∞).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-wording-'));

async function printed(lines: object[]) {
  const file = join(dir, 'log.jsonl');
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  await analyzeCommand([file]);
  return { file, text: out.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

// docs/observations.md's latency line with its bounds in seconds, as Prometheus histograms have them.
const seconds = (unit?: string) => ({
  time: '2026-11-28T10:05:00Z',
  gate: 'p95',
  kind: 'latency',
  quantile: 0.95,
  ...(unit === undefined ? {} : { unit }),
  canary: {
    buckets: [
      { le: 0.05, count: 900 },
      { le: 0.075, count: 1350 },
      { le: 0.1, count: 1440 },
      { le: '+Inf', count: 1500 },
    ],
  },
  baseline: {
    buckets: [
      { le: 0.05, count: 17600 },
      { le: 0.075, count: 26900 },
      { le: 0.1, count: 28100 },
      { le: '+Inf', count: 28500 },
    ],
  },
});

describe('analyze wording', () => {
  it('prints latencies bare without a unit, never "ms" for seconds', async () => {
    const { text } = await printed([seconds()]);
    expect(text).toContain(
      'p95 0.075–0.1 (≈0.0958) on the candidate vs 0.075–0.1 (≈0.0786) on the baseline; slower than 0.075:',
    );
    expect(text).not.toContain(' ms');
  });

  it("prints them in the line's unit", async () => {
    const { text } = await printed([seconds('s')]);
    expect(text).toContain(
      'p95 0.075–0.1 s (≈0.0958) on the candidate vs 0.075–0.1 s (≈0.0786) on the baseline; slower than 0.075 s:',
    );
  });

  it('gives a lone gate its alpha without splitting it', async () => {
    const { file, text } = await printed([seconds()]);
    expect(text.split('\n')[0]).toBe(`${file}: 1 gate, alpha 0.05`);
  });

  it('prints an e-value past a trillion as >10¹², not ∞', async () => {
    const { text } = await printed([
      {
        time: '2026-11-28T10:05:00Z',
        gate: 'errors',
        kind: 'ratio',
        canary: { events: 10000, total: 10000 },
        baseline: { events: 0, total: 90000 },
      },
    ]);
    expect(text).toContain('  2026-11-28T10:05:00Z  fail         e>10¹²\n');
    expect(text).toContain(
      '100% on the candidate vs 0% on the baseline (at least ×6700; tolerated ×1.1); e-value >10¹² ≥ 20\n',
    );
    expect(text).not.toContain('∞');
  });
});
