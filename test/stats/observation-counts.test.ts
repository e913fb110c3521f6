/**
 * An observation line's counts are refused beyond Number.MAX_SAFE_INTEGER, naming the field and
 * the limit: beyond it the judges' searches never end (1e22 hung `analyze`) or read the counts
 * as no requests (1e308). A drift line's arms are of one form, both buckets or both samples.
 */
import { describe, expect, it } from 'vitest';
import { parseObservation } from '../../src/stats/observation.js';

const LIMIT = `expected a count of at most ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER: larger counts are not exact)`;
const problems = (line: object) => {
  const parsed = parseObservation({ time: 1, gate: 'a', ...line });
  return parsed.success ? [] : parsed.problems;
};
const histogram = (count: number) => ({
  buckets: [
    { le: 1, count: 1 },
    { le: '+Inf', count },
  ],
});

describe('an observation line refuses', () => {
  it.each([
    ['srm', { split: 0.5, canary: { total: 1e300 }, baseline: { total: 10 } }, 'canary.total', '1e+300'],
    [
      'ratio',
      { canary: { events: 1, total: 10 }, baseline: { events: 1e22, total: 1e22 } },
      'baseline.events',
      '1e+22',
    ],
    [
      'conversion',
      { canary: { conversions: 1, total: 1e308 }, baseline: { conversions: 1, total: 10 } },
      'canary.total',
      '1e+308',
    ],
    ['latency', { canary: histogram(1e22), baseline: histogram(2) }, 'canary.buckets[1].count', '1e+22'],
    [
      'drift',
      { canary: histogram(2), baseline: histogram(2 ** 53) },
      'baseline.buckets[1].count',
      '9007199254740992',
    ],
  ])(
    'a %s count beyond Number.MAX_SAFE_INTEGER, naming the field and the limit',
    (kind, line, field, shown) => {
      expect(problems({ kind, ...line })).toContain(`${field}: ${LIMIT}, got ${shown}`);
    },
  );

  it('accepts counts up to the limit', () => {
    const n = Number.MAX_SAFE_INTEGER;
    expect(problems({ kind: 'srm', split: 0.5, canary: { total: n }, baseline: { total: 1 } })).toEqual([]);
  });

  it('a drift line with buckets on one arm and samples on the other, naming the baseline', () => {
    expect(problems({ kind: 'drift', canary: histogram(2), baseline: { samples: [1, 2] } })).toEqual([
      "baseline: expected buckets as the canary's, got samples: a drift line's arms are both buckets or both samples",
    ]);
  });

  it('but not a drift arm with no data ([]) beside the other form: that look is inconclusive', () => {
    expect(problems({ kind: 'drift', canary: { buckets: [] }, baseline: { samples: [1, 2] } })).toEqual([]);
  });
});
