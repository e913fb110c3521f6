/**
 * `model-gate analyze` refuses, with exit 3 and `file:line: field: message`, lines the judges
 * cannot judge: counts beyond Number.MAX_SAFE_INTEGER (judged as "no requests", or never ending)
 * and a drift line with one arm as buckets, the other as samples (a crash, exit 70, before).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-counts-'));

async function analyze(name: string, line: object) {
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify({ time: 1, gate: 'a', ...line })}\n`);
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { file, status: await analyzeCommand([file]), out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('analyze refuses', () => {
  it('a ratio line whose counts are beyond Number.MAX_SAFE_INTEGER, not "no requests"', async () => {
    const { file, status, out, err } = await analyze('huge.jsonl', {
      kind: 'ratio',
      canary: { events: 1e308, total: 1e308 },
      baseline: { events: 1, total: 10 },
    });
    expect(err).toEqual([
      `model-gate analyze: ${file}:1: canary.events: expected a count of at most 9007199254740991 (Number.MAX_SAFE_INTEGER: larger counts are not exact), got 1e+308`,
      `model-gate analyze: ${file}:1: canary.total: expected a count of at most 9007199254740991 (Number.MAX_SAFE_INTEGER: larger counts are not exact), got 1e+308`,
    ]);
    expect(out).toEqual([]);
    expect(status).toBe(3);
  });

  it('an srm line with a total beyond the limit', async () => {
    const { file, status, err } = await analyze('srm.jsonl', {
      kind: 'srm',
      split: 0.5,
      canary: { total: 1e18 },
      baseline: { total: 1e18 },
    });
    expect(err[0]).toMatch(
      new RegExp(
        `^model-gate analyze: ${file}:1: canary.total: expected a count of at most 9007199254740991 `,
      ),
    );
    expect(status).toBe(3);
  });

  it('a drift line with buckets on one arm and samples on the other, as bad input', async () => {
    const { file, status, out, err } = await analyze('mixed.jsonl', {
      kind: 'drift',
      canary: {
        buckets: [
          { le: 1, count: 1 },
          { le: '+Inf', count: 2 },
        ],
      },
      baseline: { samples: [1, 2] },
    });
    expect(err).toEqual([
      `model-gate analyze: ${file}:1: baseline: expected buckets as the canary's, got samples: a drift line's arms are both buckets or both samples`,
    ]);
    expect(out).toEqual([]);
    expect(status).toBe(3);
  });
});
