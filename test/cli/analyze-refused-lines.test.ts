/**
 * Lines `model-gate analyze` refuses rather than replays into a decision the release never saw:
 * one gate name with two kinds (which would also split alpha among gates that are not there),
 * a time that is no date, and a gate's look that is not after its previous one. Each is named by
 * its line and field, and the file is refused with exit code 3.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-refused-'));

/** `model-gate analyze` on `lines`: its exit code and its stderr, one entry a line. */
async function analyze(name: string, lines: object[]) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { file, status: await analyzeCommand([file]), err };
}

afterEach(() => vi.restoreAllMocks());

const ratio = (gate: string, time: number | string, events: number) => ({
  time,
  gate,
  kind: 'ratio',
  canary: { events, total: 1500 },
  baseline: { events: 290, total: 28500 },
});
const kayenta = (gate: string, time: number | string) => ({
  time,
  gate,
  kind: 'mann-whitney',
  canary: { samples: [201, 198, 203, 199, 202, 200, 197, 204, 200, 201] },
  baseline: { samples: [200, 199, 202, 198, 201, 200, 203, 197, 200, 199] },
});
const T = '2026-11-28T10:05:00Z';

describe('analyze refuses', () => {
  it('a gate name with a second kind, naming the line of the first', async () => {
    const { file, status, err } = await analyze('two-kinds.jsonl', [
      kayenta('b', T),
      ratio('a', T, 31),
      ratio('b', '2026-11-28T10:06:00Z', 31),
    ]);
    expect(err).toEqual([`model-gate analyze: ${file}:3: kind: gate "b" is "mann-whitney" on line 1`]);
    expect(status).toBe(3);
  });

  it.each([
    [1e20, '100000000000000000000'],
    [-1e16, '-10000000000000000'],
    ['not a time', '"not a time"'],
    ['', '""'],
  ])('a time that is no date (%j), naming the line and field', async (time, shown) => {
    const { file, status, err } = await analyze('bad-time.jsonl', [ratio('errors', time, 12)]);
    expect(err).toEqual([
      `model-gate analyze: ${file}:1: time: expected a date: epoch milliseconds (within ±8.64e15) or an ISO 8601 time such as "2026-11-28T10:05:00Z", got ${shown}`,
    ]);
    expect(status).toBe(3);
  });

  it("a gate's look at or before its previous look, naming both lines", async () => {
    const t0 = Date.UTC(2026, 10, 28, 10, 5);
    const { file, status, err } = await analyze('out-of-order.jsonl', [
      ratio('errors', t0, 12),
      // Another gate may look at the same time, and at an earlier one.
      ratio('nulls', t0 - 60_000, 12),
      ratio('errors', t0 - 60_000, 12),
      // A pass, then a failure at the very same time: two logs spliced, not one release.
      ratio('errors', t0 + 60_000, 12),
      ratio('errors', t0 + 60_000, 90),
    ]);
    expect(err).toEqual([
      `model-gate analyze: ${file}:3: time: 2026-11-28T10:04:00.000Z is not after the previous look at gate "errors" (line 1, 2026-11-28T10:05:00.000Z); write a gate's looks in time order, one per time`,
      `model-gate analyze: ${file}:5: time: 2026-11-28T10:06:00.000Z is not after the previous look at gate "errors" (line 4, 2026-11-28T10:06:00.000Z); write a gate's looks in time order, one per time`,
    ]);
    expect(status).toBe(3);
  });

  it('an empty gate name, saying a name is required', async () => {
    const { file, err } = await analyze('no-name.jsonl', [ratio('', T, 12)]);
    expect(err).toEqual([`model-gate analyze: ${file}:1: gate: a gate name is required, got ""`]);
  });
});
