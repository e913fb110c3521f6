/**
 * The summary of `model-gate analyze` gives each gate's outcome as the release saw it: a gate
 * that passed one step and failed the next rolled the release back, as the live watch does (a
 * pass holds for its step only, a failure is final), so it is summed up as failed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-summary-'));

const errors = (time: string, step: string, canary: [number, number], baseline: [number, number]) => ({
  time,
  step,
  gate: 'errors',
  kind: 'ratio',
  canary: { events: canary[0], total: canary[1] },
  baseline: { events: baseline[0], total: baseline[1] },
});

/** A 10% step the candidate passed (0.5% errors vs 1%), then a 25% step it failed (3% vs 1%). */
const file = join(dir, 'passed-then-failed.jsonl');
writeFileSync(
  file,
  `${[
    errors('2026-11-28T10:05:00Z', '10%', [50, 10000], [900, 90000]),
    errors('2026-11-28T10:15:00Z', '25%', [225, 7500], [225, 22500]),
  ]
    .map((l) => JSON.stringify(l))
    .join('\n')}\n`,
);

function printed(): string[] {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe("analyze's summary of a gate that passed a step, then failed the next", () => {
  it('says it failed, at the failing look, as the exit status does', async () => {
    const out = printed();
    expect(await analyzeCommand([file])).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(/2026-11-28T10:05:00Z 10% {2}pass/);
    expect(text).toMatch(/2026-11-28T10:15:00Z 25% {2}fail/);
    expect(text).toContain('summary\n  errors: failed at 2026-11-28T10:15:00Z (line 2)');
  });

  it('gives the failing look as the decision in --json', async () => {
    const out = printed();
    expect(await analyzeCommand([file, '--json'])).toBe(1);
    const doc = JSON.parse(out.join('\n'));
    expect(doc.gates[0].decided).toEqual({ verdict: 'fail', time: '2026-11-28T10:15:00Z', line: 2 });
  });
});
