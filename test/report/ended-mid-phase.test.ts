import { describe, expect, it } from 'vitest';
import { ended } from '../../src/release/finish.js';
import type { Release } from '../../src/release/types.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, report, row } from './release-world.js';

// The gate row of a release stopped (Ctrl-C, a closed PR) in the middle of a phase, and the
// baseline of a phase at 100% of live traffic: what a reviewer reads of a look, not more.

const errors = '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }';
const blueGreen = configWith(
  '{ type: blue-green, bake-duration: 1m, rollback-window: 1h, step-duration: 2m, min-requests: 100, interval: 10s }',
  [errors],
);
const canary = configWith(
  '{ type: canary, steps: [50], step-duration: 1m, min-requests: 100, interval: 10s }',
  [errors],
);
const metrics = (canaryRps: number) =>
  new ScriptedMetrics({
    stable: { rps: 40, values: { 'error-rate': 0.004 } },
    canary: { rps: canaryRps, values: { 'error-rate': 0.004 } },
  });
const errorsRow = (text: string) => row(text, 'errors (error-rate)');
/** Stopped by Ctrl-C `after` ms after the state's last tick, as `model-gate run` records it. */
const stopped = (r: Release, after: number) =>
  ended(r, 'aborted', 'stopped by Ctrl-C (SIGINT) mid-analysis', r.updatedAt + after);
const lookedOnce = (r: Release) => r.gates[0]?.last !== undefined;

describe('a gate of a release stopped while its last look waited for candidate requests', () => {
  it('says what that look counted and when, never the count as if it were the whole phase', async () => {
    // 5 requests a second: 50 of the 100 needed at the bake's first look, 10 s in.
    const running = await released(blueGreen, metrics(5), { stop: lookedOnce });
    // While the release runs, the look's own words are the gate's standing now.
    expect(errorsRow(report(blueGreen, running))).toBe(
      '| errors (error-rate) | – | – | ≤ 2.00% | ⏳ pending: 50 of 100 candidate requests |',
    );
    const text = report(blueGreen, stopped(running, 3000));
    expect(errorsRow(text)).toBe(
      '| errors (error-rate) | – | – | ≤ 2.00% | ➖ undecided: 50 of 100 candidate requests (at its last look, 10s into the phase, which ended after 13s) |',
    );
    expect(row(text, 'bake on green')).toMatch(/^\| bake on green \| 100% \| [^|]+ \| 13s \| withdrawn \|$/);
  });

  it('says a look that counted no candidate requests had not judged yet, not "0 of 100 candidate requests"', async () => {
    // A window with no whole second ended yet reads 0 requests on the sandbox, however many green served.
    const r = stopped(await released(blueGreen, metrics(0), { stop: lookedOnce }), 2000);
    const want =
      'not judged yet: no candidate requests counted at its last look, 10s into the phase, which ended after 12s';
    expect(errorsRow(report(blueGreen, r))).toBe(
      `| errors (error-rate) | – | – | ≤ 2.00% | ➖ undecided: ${want} |`,
    );
    const terminal = renderTerminal(blueGreen, { releases: [r], skipped: [] }, r.updatedAt);
    expect(terminal).toContain(`➖ undecided: ${want}\n`);
    expect(terminal).not.toContain('0 of 100');
  });

  it('in a canary step: not run before its first look, then what the first look counted and when', async () => {
    const entered = await released(canary, metrics(0), { stop: (r) => r.phase === 0 });
    expect(errorsRow(report(canary, stopped(entered, 1000)))).toBe(
      '| errors (error-rate) | – | – | ≤ 2.00% | ➖ not run |',
    );
    const looked = stopped(await released(canary, metrics(0), { stop: lookedOnce }), 1000);
    expect(errorsRow(report(canary, looked))).toBe(
      '| errors (error-rate) | – | – | ≤ 2.00% | ➖ undecided: not judged yet: no candidate requests counted at its last look, 10s into the phase, which ended after 11s |',
    );
  });
});

describe('the baseline of a phase at 100% of live traffic', () => {
  it("names it as the stable version's traffic before the switch, in the comment and in the terminal", async () => {
    const r = await released(blueGreen, metrics(40));
    expect(r.status).toBe('ready');
    // The bake's last look, 1 minute in: blue's 40 requests a second over the minute before the switch.
    const cells =
      '0.40% (2,400 req) | 0.40% (2,400 req; v1, the 1m 00s before the switch) | ≤ 2.00% | ✅ pass';
    expect(errorsRow(report(blueGreen, r))).toBe(`| errors (error-rate) | ${cells} |`);
    const terminal = renderTerminal(blueGreen, { releases: [r], skipped: [] }, r.updatedAt);
    expect(terminal).toMatch(
      /\n {2}errors \(error-rate\) +0\.40% \(2,400 req\) +0\.40% \(2,400 req; v1, the 1m 00s before the switch\) +≤ 2\.00% +✅ pass\n/,
    );
    // Blue served nothing before the switch: the empty baseline says over what, not a bare dash.
    const unserved = new ScriptedMetrics({
      stable: { rps: 0, values: {} },
      canary: { rps: 40, values: { 'error-rate': 0.004 } },
    });
    expect(errorsRow(report(blueGreen, await released(blueGreen, unserved)))).toBe(
      '| errors (error-rate) | 0.40% (2,400 req) | – (0 req; v1, the 1m 00s before the switch) | ≤ 2.00% | ✅ pass |',
    );
    // A rolling update's last batch, at 100%: the same, over the 10 s before it began.
    const rolling = configWith(
      '{ type: rolling, instances: 4, batch-size: 2, step-duration: 1m, min-requests: 100, interval: 10s }',
      [errors],
    );
    const batches = await released(rolling, metrics(40));
    expect(batches.status).toBe('ready');
    expect(errorsRow(report(rolling, batches))).toBe(
      '| errors (error-rate) | 0.40% (400 req) | 0.40% (400 req; v1, the 10s before the switch) | ≤ 2.00% | ✅ pass |',
    );
    // A canary's baseline is read beside the candidate, at the same time: no span to name.
    const side = await released(canary, metrics(40));
    expect(errorsRow(report(canary, side))).toBe(
      '| errors (error-rate) | 0.40% (400 req) | 0.40% (400 req) | ≤ 2.00% | ✅ pass |',
    );
  });
});
