/**
 * A release decides a gate still undecided at its step's deadline (SPEC §4): one that saw the data
 * without a regression passes (not a conversion gate, which must decide), one without usable data
 * fails (must-have-data). Its log marks that look `"deadline": true`, and `model-gate analyze`
 * decides it the same way, so a release that passed replays as passed (exit 0), not undecided.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-deadline-'));

const errors = (time: string, events: number | null, deadline?: boolean) => ({
  time,
  step: 'step 1 of 1',
  gate: 'errors',
  kind: 'ratio',
  canary: { events, total: 1000 },
  baseline: { events: 900, total: 90000 },
  ...(deadline ? { deadline } : {}),
});
const checkout = (time: string, deadline?: boolean) => ({
  time,
  gate: 'checkout',
  kind: 'conversion',
  canary: { conversions: 50, total: 1000 },
  baseline: { conversions: 500, total: 10000 },
  ...(deadline ? { deadline } : {}),
});

async function analyze(name: string, lines: object[]) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const status = await analyzeCommand([file]);
  const text = out.join('\n');
  return { status, text, summary: text.slice(text.indexOf('\nsummary\n') + 1) };
}

afterEach(() => vi.restoreAllMocks());

describe("analyze on the look a step's deadline judged", () => {
  it('passes a gate waiting there, as its release did: exit code 0', async () => {
    const first = errors('2026-11-28T10:05:00Z', 10);
    const unmarked = await analyze('waiting.jsonl', [first, errors('2026-11-28T10:10:00Z', 10)]);
    expect(unmarked.summary).toContain('errors: undecided, waiting at 2026-11-28T10:10:00Z (line 2)');
    expect(unmarked.status).toBe(4);

    const marked = await analyze('passed-at-deadline.jsonl', [
      first,
      errors('2026-11-28T10:10:00Z', 10, true),
    ]);
    expect(marked.summary).toBe(
      "summary\n  errors: pass at the step's deadline, 2026-11-28T10:10:00Z (line 2)",
    );
    expect(marked.text).toContain("; the step's deadline: pass, no regression found by then");
    expect(marked.status).toBe(0);
  });

  it('fails a gate without data there, as must-have-data rolled its release back: exit code 1', async () => {
    const { status, summary } = await analyze('no-data-at-deadline.jsonl', [
      errors('2026-11-28T10:05:00Z', 10),
      errors('2026-11-28T10:10:00Z', null, true),
    ]);
    expect(summary).toBe("summary\n  errors: fail at the step's deadline, 2026-11-28T10:10:00Z (line 2)");
    expect(status).toBe(1);
  });

  it('fails a conversion gate without a winner there: an A/B must decide', async () => {
    const { status, summary } = await analyze('no-winner-at-deadline.jsonl', [
      checkout('2026-11-28T10:05:00Z', true),
    ]);
    expect(summary).toBe("summary\n  checkout: fail at the step's deadline, 2026-11-28T10:05:00Z (line 1)");
    expect(status).toBe(1);
  });
});
