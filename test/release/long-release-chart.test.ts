import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { newRelease } from '../../src/release/new-release.js';
import { SERIES_POINTS, withLook } from '../../src/release/series.js';
import type { GateState, Release } from '../../src/release/types.js';
import { keyMetricChart } from '../../src/report/chart.js';

// A 3-day shadow driven by schedule ticks every 15 min: the chart's looks must spread over all of
// it. Thinned by index (every other point once full), its first 52 h read as one point.

const model = parseConfig(
  `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:9" }
    strategy: { type: shadow, duration: 3d }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
  {},
).config.models.fraud;

/** Seconds of a days and h:mm:ss x label, as the chart writes a span of days ("2d 4:30:00"). */
const seconds = (label: string) => {
  const [d, hms] = label.replaceAll('"', '').split('d ');
  const [h, m, s] = (hms ?? '').split(':').map(Number);
  return Number(d) * 86_400 + (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
};

describe('the key metric chart of a release analysed for days', () => {
  it('spreads its looks over the whole release: no gap much above its length / the points kept', () => {
    if (!model) throw new Error('no model fraud');
    const release = newRelease(model, { from: 'v1', to: 'v2', now: 0 });
    let gate = release.gates[0] as GateState;
    // 288 looks 15 min apart, the first 10 min in: 0d 0:10:00 to 2d 23:55:00.
    for (let k = 0; k < 288; k++)
      gate = withLook(
        gate,
        { at: (600 + k * 900) * 1000, verdict: 'waiting', canary: 0.01, baseline: 0.01 },
        0,
      );
    const chart = keyMetricChart({ ...release, gates: [gate] } satisfies Release, model);
    const labels =
      chart
        .find((l) => l.startsWith('  x-axis'))
        ?.match(/\[(.*)\]$/)?.[1]
        ?.split(', ') ?? [];
    const times = labels.map(seconds);
    expect(times).toHaveLength(SERIES_POINTS);
    expect([labels[0], labels.at(-1)]).toEqual(['"0d 0:10:00"', '"2d 23:55:00"']);
    const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // Even spacing would be span / (SERIES_POINTS - 1), 2h19m here; dropping one point of a full
    // series at a time leaves gaps of at most twice that.
    expect(Math.max(...gaps)).toBeLessThanOrEqual((2 * span) / (SERIES_POINTS - 1));
  });
});
