import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { newRelease } from '../../src/release/new-release.js';
import { SERIES_POINTS, withLook } from '../../src/release/series.js';
import { tick } from '../../src/release/tick.js';
import type { GateState, Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

const model = canaryModel();
const config = { version: 1 as const, allowForks: false, models: { fraud: model } };

/** A release driven by the engine on a fake clock: the candidate errs at `rate`, the baseline at 0.5%. */
async function analysed(rate: number): Promise<Release> {
  const clock = new FakeClock(0);
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 10, values: { 'error-rate': rate } },
  });
  const ctx = { config: model, target: new MemoryTarget(), metrics, clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', pr: 7, headSha: 'b'.repeat(40), now: 0 });
  for (let i = 0; i < 100 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    await clock.sleep(5_000);
  }
  return r;
}

describe('the key metric chart', () => {
  it("draws the first gate's looks, the candidate's line over the baseline's bars, in the gate table's unit", async () => {
    const release = await analysed(0.012);
    const text = renderMarkdown(config, { releases: [release], skipped: [] }, { now: 0 });
    const chart = text.slice(
      text.indexOf('```mermaid'),
      text.indexOf('```', text.indexOf('```mermaid') + 3) + 3,
    );
    const lines = chart.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '```mermaid',
      'xychart-beta',
      // xychart draws no legend: the title says which series is which, and they differ in kind.
      '  title "errors (passed): the line is candidate v2, the bars baseline v1"',
    ]);
    expect(lines[3]).toMatch(/^ {2}x-axis "seconds since the release started" \[("\d+s", )*"\d+s"\]$/);
    // From 0, where a bar of the lowest value would otherwise have no height, to above the highest.
    expect(lines[4]).toBe('  y-axis "errors (%)" 0 --> 1.32');
    const looks = (lines[5]?.match(/[\d.]+/g) ?? []).length;
    expect(looks).toBeGreaterThanOrEqual(2);
    expect(lines[5]).toBe(`  bar [${Array(looks).fill(0.5).join(', ')}]`);
    expect(lines[6]).toBe(`  line [${Array(looks).fill(1.2).join(', ')}]`);
  });

  it('is left out of the compact report, and without two looks that saw both arms', async () => {
    const release = await analysed(0.005);
    const compact = renderMarkdown(config, { releases: [release], skipped: [] }, { now: 0, compact: true });
    expect(compact).not.toContain('mermaid');
    const fresh = newRelease(model, { from: 'v1', to: 'v2', now: 0 });
    expect(renderMarkdown(config, { releases: [fresh], skipped: [] }, { now: 0 })).not.toContain('mermaid');
  });

  it('keeps a long analysis to a few dozen points spanning all of it', () => {
    let gate: GateState = {
      name: 'errors',
      kind: 'threshold',
      verdict: 'pending',
      failures: 0,
      inconclusives: 0,
      consecutiveErrors: 0,
    };
    for (let s = 1; s <= 1000; s++)
      gate = withLook(gate, { at: s * 1000, verdict: 'waiting', canary: s, baseline: 1 }, 0);
    const series = gate.series ?? [];
    expect(series.length).toBeLessThanOrEqual(SERIES_POINTS);
    expect(series[0]?.[0]).toBe(1);
    expect(series.at(-1)).toEqual([1000, 1000, 1]);
    expect(withLook(gate, { at: 2e6, verdict: 'error', note: 'metrics backend unreachable' }, 0)).toBe(gate);
  });
});
