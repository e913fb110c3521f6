import { describe, expect, it } from 'vitest';
import { classifyMetric, cles, judgeMannWhitney, scoreMetrics } from '../../src/stats/kayenta.js';

const control = [10.2, 9.8, 10.1, 10.4, 9.9, 10.0, 10.3, 9.7, 10.2, 10.1];
const high = control.map((v) => v * 1.5);

describe("Kayenta's Mann-Whitney classifier and score", () => {
  it('classifies a clearly higher canary High, a same one Pass', () => {
    expect(classifyMetric(control, high).classification).toBe('High');
    expect(classifyMetric(control, control).classification).toBe('Pass');
    expect(classifyMetric(control, [...control].reverse()).reason).toContain('identical');
  });

  it('honours the direction and the effect-size thresholds', () => {
    expect(classifyMetric(control, high, { direction: 'decrease' }).classification).toBe('Pass');
    expect(classifyMetric(control, high, { allowedIncrease: 1.6 }).classification).toBe('Pass');
    expect(classifyMetric(control, high, { allowedIncrease: 1.4 }).classification).toBe('High');
    const low = control.map((v) => v * 0.5);
    expect(classifyMetric(control, low, { effectSize: 'cles', allowedDecrease: 0.1 }).classification).toBe(
      'Low',
    );
    expect(cles(control, high)).toBe(1);
  });

  it('removes or replaces NaN values, and treats missing data as Nodata or a failure', () => {
    const withNaN = [...high, Number.NaN];
    expect(classifyMetric(control, withNaN).classification).toBe('High');
    expect(classifyMetric(control, [Number.NaN], { nanStrategy: 'remove' }).classification).toBe('Nodata');
    expect(classifyMetric(control, [Number.NaN], { dataRequired: true }).classification).toBe(
      'NodataFailMetric',
    );
    expect(
      classifyMetric([0, 0, 0], [Number.NaN, Number.NaN], { nanStrategy: 'replace' }).classification,
    ).toBe('Pass');
  });

  it('scores by weighted groups with pass and marginal levels; a critical failure scores 0', () => {
    const pass = classifyMetric(control, control);
    const fail = classifyMetric(control, high);
    expect(scoreMetrics([{ result: pass }, { result: pass }, { result: pass }, { result: fail }])).toEqual({
      score: 75,
      classification: 'Marginal',
    });
    expect(
      scoreMetrics(
        [
          { result: pass, group: 'latency' },
          { result: fail, group: 'errors' },
        ],
        { groupWeights: { latency: 80 } },
      ).score,
    ).toBe(80);
    const critical = classifyMetric(control, high, { critical: true });
    expect(scoreMetrics([{ result: pass }, { result: pass }, { result: critical }]).score).toBe(0);
  });

  it('judges one metric as a gate verdict with the shift and its interval as evidence', () => {
    const j = judgeMannWhitney(control, high, { direction: 'increase' });
    expect(j.verdict).toBe('fail');
    expect(j.evidence.method).toBe('mann-whitney');
    expect(j.evidence.effect).toBeGreaterThan(4);
    expect(j.evidence.interval?.[0]).toBeGreaterThan(0);
    expect(j.evidence.pValue).toBeLessThan(0.01);
    expect(judgeMannWhitney([], high).verdict).toBe('inconclusive');
    expect(judgeMannWhitney(control, control).verdict).toBe('pass');
  });
});
