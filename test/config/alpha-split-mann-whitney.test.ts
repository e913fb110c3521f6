import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';
import { newRelease } from '../../src/release/new-release.js';
import { gateRows } from '../../src/report/rows.js';
import { configWith } from '../report/release-world.js';

// The model's alpha is split among the gates that spend it. A mann-whitney gate judges at
// Kayenta's fixed confidence, as a threshold gate judges without a test: neither takes a share,
// so the sequential gates beside them keep the alpha the docs promise. `model-gate analyze`
// splits it the same way when it replays their looks.

/** Model `fraud` on the sandbox with `gates` (flow YAML, one a line). */
function fraud(gates: string[]) {
  const config = configWith(
    '{ type: canary, steps: [10, 50], step-duration: 10m, min-requests: 100 }',
    gates,
  );
  const model = config.models.fraud;
  if (!model) throw new Error('no model fraud');
  // The test and its alpha, which the report keeps apart from the bound (GateRow.method).
  const bounds = gateRows(newRelease(model, { from: 'v1', to: 'v2', now: 0 }), model).map((g) => g.method);
  return { gates: model.gates, bounds };
}

const ERRORS = '{ name: errors, kind: ratio, events: errors, max-increase: 10% }';
const P99_KAYENTA = '{ name: p99, kind: latency, quantile: 0.99, max-increase: 20%, judge: mann-whitney }';

describe('the alpha split beside a mann-whitney gate', () => {
  it('gives a lone sequential gate the whole alpha, as the report shows', () => {
    const { gates, bounds } = fraud([ERRORS, P99_KAYENTA]);
    expect(gates[0]).toMatchObject({ name: 'errors', judge: 'sequential', alpha: 0.05 });
    expect(bounds[0]).toBe('sequential, α 0.05');
  });

  it('splits it among the gates that spend it only, whatever judges the others', () => {
    const { gates, bounds } = fraud([
      ERRORS,
      P99_KAYENTA,
      '{ name: split, kind: srm }',
      '{ name: p95, kind: latency, quantile: 0.95, max-increase: 20%, judge: threshold }',
    ]);
    expect(gates.map((g) => ('alpha' in g ? g.alpha : undefined))).toEqual([0.025, 0.05, 0.025, 0.05]);
    expect(bounds).toEqual([
      'sequential, α 0.025',
      'Mann-Whitney, confidence 0.98',
      'sequential split check, α 0.025',
      '',
    ]);
  });
});

/** `model-gate analyze` on `lines` (one observation each): its exit status and what it printed. */
async function analyze(lines: object[], json: boolean) {
  const file = join(mkdtempSync(join(tmpdir(), 'model-gate-alpha-split-')), 'release.jsonl');
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const status = await analyzeCommand(json ? [file, '--json'] : [file]);
  return { status, file, out: out.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

const TIME = '2026-11-28T10:10:00Z';
/** Twice the baseline's error rate on few requests: e-value 31.6, a failure at 0.05 but not at 0.025. */
const ERRORS_LOOK = {
  time: TIME,
  gate: 'errors',
  kind: 'ratio',
  canary: { events: 31, total: 1500 },
  baseline: { events: 290, total: 28500 },
  maxIncrease: 0.1,
};
const P99_LOOK = {
  time: TIME,
  gate: 'p99',
  kind: 'mann-whitney',
  canary: { samples: [201, 198, 203, 199, 202, 200, 197, 204, 200, 201] },
  baseline: { samples: [200, 199, 202, 198, 201, 200, 203, 197, 200, 199] },
};

describe('model-gate analyze beside a mann-whitney gate', () => {
  it('judges the other gate at the whole alpha, and fails a look it would have kept waiting at half', async () => {
    const { status, out } = await analyze([ERRORS_LOOK, P99_LOOK], true);
    expect(status).toBe(1);
    const doc = JSON.parse(out) as {
      gates: { gate: string; alpha?: number; looks: { verdict: string; note: string }[] }[];
    };
    const [errors, p99] = doc.gates;
    expect(errors).toMatchObject({ gate: 'errors', alpha: 0.05 });
    expect(errors?.looks[0]?.verdict).toBe('fail');
    expect(errors?.looks[0]?.note).toMatch(/e-value 31\.6 ≥ 20$/);
    // Judged at its confidence: no alpha is shown for it.
    expect(p99).not.toHaveProperty('alpha');
    expect(p99?.looks[0]?.verdict).toBe('pass');
  });

  it('says in its first line which gates shared the alpha', async () => {
    const { file, out } = await analyze([ERRORS_LOOK, P99_LOOK, { ...ERRORS_LOOK, gate: 'nulls' }], false);
    expect(out.split('\n')[0]).toBe(
      `${file}: 3 gates, alpha 0.05 split to 0.025 each of the 2 that spend it (mann-whitney judges at its confidence, outside the alpha split)`,
    );
  });
});
