import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-'));
function log(name: string, lines: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return file;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

const errors = (time: string, events: number, total: number, baseline: [number, number]) => ({
  time,
  gate: 'errors',
  kind: 'ratio',
  split: 0.05,
  canary: { events, total },
  baseline: { events: baseline[0], total: baseline[1] },
});

describe('model-gate analyze', () => {
  it("replays every look and prints each gate's verdicts over time, failing when a gate failed", async () => {
    const file = log('release.jsonl', [
      '# a recorded canary step',
      errors('2026-11-28T10:00:30Z', 1, 150, [27, 2850]),
      errors('2026-11-28T10:05:00Z', 60, 1500, [290, 28500]),
      {
        time: '2026-11-28T10:05:00Z',
        gate: 'split',
        kind: 'srm',
        split: 0.05,
        canary: { total: 1500 },
        baseline: { total: 28500 },
      },
      {
        time: '2026-11-28T10:05:30Z',
        gate: 'errors',
        kind: 'ratio',
        canary: { events: null, total: 1500 },
        baseline: { events: 290, total: 28500 },
      },
    ]);
    const { out } = capture();
    expect(await analyzeCommand([file])).toBe(1);
    const text = out.join('\n');
    expect(text).toContain(`${file}: 2 gates, alpha 0.05 split to 0.025 each`);
    expect(text).toMatch(/errors \(ratio\)\n {2}2026-11-28T10:00:30Z {2}waiting {6}effect/);
    expect(text).toMatch(/2026-11-28T10:05:00Z {2}fail {9}effect 3.93 \[2.48, 6.47\] {2}e>10¹²/);
    expect(text).toMatch(/2026-11-28T10:05:30Z {2}inconclusive \n {6}missing or invalid counts/);
    expect(text).toContain('errors: failed at 2026-11-28T10:05:00Z (line 3)');
    expect(text).toContain('split: passed at 2026-11-28T10:05:00Z (line 4)');
  });

  it('prints the same as JSON with the evidence of every look', async () => {
    const file = log('ok.jsonl', [errors('2026-11-28T10:00:30Z', 1, 150, [27, 2850])]);
    const { out } = capture();
    // Still waiting: no gate failed, one is undecided.
    expect(await analyzeCommand([file, '--json', '--alpha', '0.1'])).toBe(4);
    const doc = JSON.parse(out.join('\n'));
    expect(doc.alpha).toBe(0.1);
    expect(doc.gates[0]).toMatchObject({ gate: 'errors', kind: 'ratio', alpha: 0.1 });
    expect(doc.gates[0].looks[0]).toMatchObject({
      line: 1,
      verdict: 'waiting',
      evidence: { method: 'sequential-binomial', canary: { events: 1, total: 150 } },
    });
    expect(doc.gates[0].undecided).toEqual({ verdict: 'waiting', time: '2026-11-28T10:00:30Z', line: 1 });
  });

  it("says why an undecided gate's last look was inconclusive in the judge's words, not as missing data", async () => {
    const { out } = capture();
    const file = log('too-few.jsonl', [
      {
        time: '2026-01-01T10:00:00Z',
        gate: 'signups',
        kind: 'conversion',
        canary: { conversions: 2, total: 1000 },
        baseline: { conversions: 30, total: 9000 },
      },
    ]);
    expect(await analyzeCommand([file])).toBe(4);
    const summary = out
      .join('\n')
      .split('\n')
      .filter((l) => l.includes('undecided'));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(
      /undecided, inconclusive at .* \(line 1\): .*fewer than 5 expected conversions/,
    );
    expect(summary[0]).not.toMatch(/no usable data/);
  });

  it('says what is wrong with each line in the words of the schema, one line per problem', async () => {
    const b = { time: 1, gate: 'g' };
    const file = log('messages.jsonl', [
      { ...b, kind: 'conversion', canary: { conversion: 1, total: 2 }, direction: 'up' },
      { ...b, kind: 'mann-whitney', baseline: { samples: [1], buckets: 1 }, kind2: 1 },
      {
        ...b,
        kind: 'latency',
        canary: { buckets: [{ le: 'x', count: 1 }] },
        baseline: { samples: [1], x: 1 },
      },
      { ...b, kind: 'drift', canary: { buckets: [{ le: {}, count: -1 }] }, reference: {} },
      { time: {}, gate: '', kind: 'ratio', canary: { events: 1, total: 2 }, baseline: {}, step: true },
      { ...b, kind: null },
      [1],
    ]);
    const { err } = capture();
    expect(await analyzeCommand([file])).toBe(3);
    expect(err.map((l) => l.replace('model-gate analyze: ', ''))).toEqual([
      `${file}:1: canary.conversions: required`,
      `${file}:1: canary.conversion: unknown key, did you mean "conversions"?`,
      `${file}:1: baseline: required for kind "conversion"`,
      `${file}:1: direction: expected one of "decrease", "increase" or "either", got "up"`,
      `${file}:2: canary: required for kind "mann-whitney"`,
      `${file}:2: baseline.buckets: unknown key (allowed: samples)`,
      `${file}:2: kind2: unknown key, did you mean "kind"?`,
      `${file}:3: canary.buckets[0].le: expected a number or "+Inf", got "x"`,
      `${file}:3: baseline.x: unknown key`,
      `${file}:4: canary.buckets[0].le: expected a number, got a mapping`,
      `${file}:4: canary.buckets[0].count: expected a number at least 0, got -1`,
      `${file}:4: baseline: required`,
      `${file}:4: reference: unknown key (allowed: time, gate, split, alpha, step, failureLimit, inconclusiveLimit, release, deadline, kind, canary, baseline, maxDistance)`,
      `${file}:5: time: expected a number, got a mapping`,
      `${file}:5: gate: a gate name is required, got ""`,
      `${file}:5: step: expected a string or a number, got true`,
      `${file}:5: baseline.events: required`,
      `${file}:5: baseline.total: required`,
      `${file}:6: kind: expected one of "ratio", "latency", "conversion", "srm", "drift" or "mann-whitney", got an empty value`,
      `${file}:7: expected a JSON object, got a list`,
    ]);
  });

  it('names every bad line and field, and rejects bad usage', async () => {
    const file = log('bad.jsonl', [
      '{"time": 1, "gate": "x", "kind": "ratio"}',
      'not json',
      '{"time": 1, "gate": "y", "kind": "nope"}',
    ]);
    const { err } = capture();
    expect(await analyzeCommand([file])).toBe(3);
    const message = err.join('\n');
    expect(message).toContain(`model-gate analyze: ${file}:1: canary`);
    expect(message).toContain(`model-gate analyze: ${file}:2: not JSON`);
    expect(message).toContain(`model-gate analyze: ${file}:3: kind`);
    const { err: stderr } = capture();
    expect(await analyzeCommand([])).toBe(2);
    expect(await analyzeCommand([file, '--alpha', '2'])).toBe(2);
    expect(stderr.join('\n')).toContain('usage: model-gate analyze');
    const { err: unreadable } = capture();
    expect(await analyzeCommand([join(dir, 'missing.jsonl')])).toBe(3);
    expect(unreadable.join('\n')).toMatch(
      /missing\.jsonl: file not found; pass the path of an observation log/,
    );
  });
});
