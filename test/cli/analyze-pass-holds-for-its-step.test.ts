/**
 * A gate's pass holds for its step only, as in the live watch: a release that passed the 10% step
 * judges each gate anew at 50%, and a 50% step with no usable data fails at its deadline (SPEC §4,
 * must-have-data). So `model-gate analyze` sums up a gate by the step of its last look: a pass in
 * an earlier step does not hide the missing data of a later one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-step-pass-'));

const errors = (time: string, step: string | undefined, events: number | null, total: number) => ({
  time,
  ...(step === undefined ? {} : { step }),
  gate: 'errors',
  kind: 'ratio',
  canary: { events, total },
  baseline: { events: 900, total: 90000 },
});
// 0.5% errors against the baseline's 1%: a pass.
const passing = (time: string, step?: string) => errors(time, step, 50, 10000);
// The error counts missing: inconclusive.
const missing = (time: string, step?: string) => errors(time, step, null, 10000);

async function analyze(name: string, lines: object[]) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const status = await analyzeCommand([file]);
  const text = out.join('\n');
  return { status, summary: text.slice(text.indexOf('\nsummary\n') + 1) };
}

afterEach(() => vi.restoreAllMocks());

describe('analyze on a gate that passed one step', () => {
  it('is undecided when the next step only had missing data, exit code 4', async () => {
    const { status, summary } = await analyze('then-no-data.jsonl', [
      passing('2026-11-28T10:05:00Z', '10%'),
      missing('2026-11-28T10:15:00Z', '50%'),
      missing('2026-11-28T10:20:00Z', '50%'),
    ]);
    expect(summary).toBe(
      'summary\n  errors: undecided, inconclusive at 2026-11-28T10:20:00Z (line 3): missing or invalid counts (NaN, negative or absent)',
    );
    expect(status).toBe(4);
  });

  it('passes at the later step once that step passes too', async () => {
    const { status, summary } = await analyze('passed-both.jsonl', [
      passing('2026-11-28T10:05:00Z', '10%'),
      missing('2026-11-28T10:15:00Z', '50%'),
      passing('2026-11-28T10:20:00Z', '50%'),
    ]);
    expect(summary).toBe('summary\n  errors: passed at 2026-11-28T10:20:00Z (line 3)');
    expect(status).toBe(0);
  });

  it('keeps its pass through a later look of the same step', async () => {
    const { status, summary } = await analyze('same-step.jsonl', [
      passing('2026-11-28T10:05:00Z'),
      missing('2026-11-28T10:06:00Z'),
    ]);
    expect(summary).toBe('summary\n  errors: passed at 2026-11-28T10:05:00Z (line 1)');
    expect(status).toBe(0);
  });
});
