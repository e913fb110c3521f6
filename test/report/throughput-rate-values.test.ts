import { describe, expect, it } from 'vitest';
import { boundViolations, describeBounds } from '../../src/gates/bounds.js';
import { formatValue } from '../../src/report/format.js';

// Any query ending in "rate" was shown as a percent: a threshold gate on http-json's
// `stats.request_rate` (requests a second) read "125000.00% is below the min 200000.00%". A rate
// is a share unless the word before `_rate` / `.rate` counts traffic; `-rate` (a ratio gate's
// `<events>-rate`, the sandbox's `error-rate`) stays a share, the sandbox's `request-rate` per second.

describe('a rate per second', () => {
  it('reads as the number the query returned, in the bounds and the violations', () => {
    expect(describeBounds('stats.request_rate', { min: 2000 })).toBe('≥ 2000');
    expect(boundViolations('stats.request_rate', { min: 2000 }, 1250)).toEqual([
      '1250 is below the min 2000',
    ]);
    expect(formatValue('http_requests.rate', 12.5)).toBe('12.50');
    expect(formatValue('stats.invocation_rate', 3)).toBe('3');
    expect(formatValue('request-rate', 12.5)).toBe('12.5/s');
  });
});

describe('a share', () => {
  it('still reads as a percent: error and success rates, and a ratio gate whose events name requests', () => {
    expect(boundViolations('stats.error_rate', { max: 0.02 }, 0.03)).toEqual([
      '3.00% is above the max 2.00%',
    ]);
    expect(formatValue('stats.success_rate', 0.995)).toBe('99.50%');
    expect(formatValue('error-rate', 0.004)).toBe('0.40%');
    expect(formatValue('stats.failed_requests-rate', 0.03)).toBe('3.00%');
    expect(formatValue('share-rate', 0.5)).toBe('50.00%');
  });
});
