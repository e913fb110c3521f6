import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/release/types.js';
import { FakeCounts } from '../gates/fake-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// A busy reviewer read the comments top down: the top sentence quoted the judge's raw note (`e-value
// 9.78e+5 ≥ 40`) that the table said plainly, a rollback did not say at which step it failed, an A/B
// that failed at its planned sample was `(undecided)` in its chart, a winner's interval read
// `+0.0% to +21.0%: the interval lies above 0`, one count read `7320` and `7,320`, a failure at the
// first look had no chart and no word why, and ended gates read as still waiting.
const arm = (rps: number, errorRate: number) => ({ rps, errorRate, medianMs: 40 });
const errorsGate = '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }';
const canary = configWith(
  '{ type: canary, steps: [5, 25, 50], step-duration: 2m, min-requests: 200, interval: 10s }',
  [errorsGate],
);
const lines = (text: string) => text.split('\n');
const top = (text: string) => lines(text).find((l) => l.startsWith('- '));

describe('a rollback for a regression, in the top sentence and the phase history', () => {
  it('says where it failed and what the evidence means, as the table does', async () => {
    // 3% errors on v2 from step 2 on, against 1% on v1.
    const metrics = new FakeCounts({ stable: arm(90, 0.01), canary: arm(30, 0.01) });
    const r = await released(canary, metrics, {
      each: (x) => {
        if (x.phase >= 1) metrics.slots.canary = arm(30, 0.03);
      },
    });
    expect(r.status).toBe('failed');
    const text = report(canary, r);
    expect(top(text)).toMatch(
      /^- fraud v2 was rolled back to v1 in step 2 of 3 \(25% of live traffic\): errors: 3% on v2 vs [\d.]+% on v1 \(.*tolerated ×1\.1\); strong evidence of a regression$/,
    );
    expect(text).toMatch(
      /\| step 2 of 3 \| 25% \| [^|]+ \| [^|]+ \| failed: errors: 3% on v2 .*; strong evidence of a regression \|/,
    );
    // The e-value's figures stay in the gate's row, and only there.
    expect(text.match(/e-value/g)).toHaveLength(1);
    expect(row(text, 'errors (errors / requests)')).toMatch(
      /strong evidence of a regression \(e-value \S+; \d+ needed\) \|$/,
    );
  });
});

describe('a failure at the first look', () => {
  it('says in one line why there is no chart', async () => {
    const r = await released(canary, new FakeCounts({ stable: arm(900, 0), canary: arm(100, 1) }));
    expect(r.status).toBe('failed');
    const text = report(canary, r);
    expect(text).not.toContain('```mermaid');
    expect(text).toContain(
      '\nℹ️ No chart of errors: it failed after a single look, and a chart needs two looks to draw a line.\n',
    );
  });
});

const ab = (split: number, stepDuration: string) =>
  configWith(`{ type: ab, split: ${split}, step-duration: ${stepDuration}, interval: 1m }`, [
    '{ name: split, kind: srm, units: users }',
    '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
  ]);

describe('an A/B without a winner at its planned sample', () => {
  it('is failed in its row and its chart alike, each count written one way', async () => {
    const config = ab(50, '3h');
    const r = await released(config, new FakeCounts({ stable: arm(2, 0.3), canary: arm(2, 0.3) }));
    expect(r.status).toBe('failed');
    const text = report(config, r);
    expect(row(text, 'conversion (converted-users / exposed-users)')).toMatch(
      /\| ❌ fail: no significant winner at the planned sample/,
    );
    expect(text).toContain('  title "conversion (failed): the line is candidate v2, the bars baseline v1"');
    const users = r.gates.find((g) => g.name === 'conversion')?.last?.canaryRequests ?? 0;
    expect(users).toBeGreaterThan(1000);
    const grouped = users.toLocaleString('en-US');
    expect(row(text, 'conversion (converted-users / exposed-users)')).toContain(`(${grouped} users)`);
    expect(row(text, 'split (user split)')).toMatch(/ of \d{1,3},\d{3} users, configured 50%/);
    expect(text).not.toMatch(/\b\d{4,} (users|exposures|req)\b/);
  });
});

describe('an A/B whose split mismatch ended it', () => {
  it('says the conversion gate ended undecided, not that it needs more data', async () => {
    const config = ab(10, '1h');
    const r = await released(config, new FakeCounts({ stable: arm(20, 0.3), canary: arm(10, 0.3) }));
    expect(r.status).toBe('failed');
    const text = report(config, r);
    expect(lines(text)[0]).toBe(
      '## model-gate: 🔌 Analysis invalid: sample ratio mismatch (candidate 33.3% of users, configured 10%)',
    );
    const conversion = row(text, 'conversion (converted-users / exposed-users)');
    expect(conversion).toMatch(/\| ➖ undecided: 30\.00% on v2 vs 30\.00% on v1 /);
    expect(conversion).not.toMatch(/not yet conclusive|needs more data/);
    // The split's share as its check wrote it, in the heading, the line and the row.
    expect(row(text, 'split (user split)')).toMatch(/^\| split \(user split\) \| 33\.3% \(/);
    // Its counts thousands apart in the top sentence, the rows and the phase history alike.
    expect(text).not.toMatch(/\b\d{4,} (users|exposures|req)\b/);
  });
});

const winner = configWith(
  '{ type: ab, split: 50, sticky-header: x-user-id, step-duration: 30m, min-requests: 200, interval: 10s }',
  [
    '{ name: split, kind: srm, units: users }',
    '{ name: conversion, kind: conversion, conversions: converted-users, exposures: exposed-users }',
  ],
);

describe('an A/B winner', () => {
  it('says in its ready line what it won by', async () => {
    const r = await released(winner, new FakeCounts({ stable: arm(20, 0.28), canary: arm(20, 0.31) }));
    expect(r.status).toBe('ready');
    expect(top(report(winner, r))).toBe(
      '- fraud v2 passed every gate and is ready to merge: conversion 31.00% on v2 vs 28.00% on v1, a significant winner (relative lift +10.7%)',
    );
  });

  it('writes an interval bound near 0 in the digits that tell it from 0', async () => {
    const r = await released(winner, new FakeCounts({ stable: arm(20, 0.28), canary: arm(20, 0.31) }));
    // As a winner whose interval's low end is +0.04% is stored: its note rounds it to +0.0%.
    const nearZero: Release = {
      ...r,
      gates: r.gates.map((g) =>
        g.kind !== 'conversion' || !g.last?.evidence?.interval
          ? g
          : {
              ...g,
              last: {
                ...g.last,
                note: (g.last.note ?? '').replace(/interval \S+ to/, 'interval +0.0% to'),
                evidence: { ...g.last.evidence, interval: [0.0004, g.last.evidence.interval[1]] },
              },
            },
      ),
    };
    const conversion = row(report(winner, nearZero), 'conversion (converted-users / exposed-users)');
    expect(conversion).toMatch(/95% interval \+0\.04% to \+[\d.]+%\): the interval lies above 0/);
  });
});

describe('a shadow that passed', () => {
  const shadow = configWith(
    '{ type: shadow, share: 30, duration: 5m, step-duration: 10m, min-requests: 100, interval: 10s }',
    [errorsGate],
  );

  it('says its candidate never served a user, and no step of it', async () => {
    const r = await released(shadow, new FakeCounts({ stable: arm(90, 0.01), canary: arm(30, 0.01) }));
    expect(r.status).toBe('ready');
    const text = report(shadow, r);
    expect(top(text)).toBe(
      '- fraud v2 passed every gate and is ready to merge; v2 never served a user: it answered copies of live requests, its answers never returned',
    );
    const errors = row(text, 'errors (errors / requests)') ?? '';
    expect(errors).not.toContain('step');
    expect(errors).toMatch(
      /\| ✅ pass: no regression found by the end of shadow 30% of requests \(not proof of none\): /,
    );
  });
});
