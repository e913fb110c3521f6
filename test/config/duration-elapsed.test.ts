import { describe, expect, it } from 'vitest';
import { formatElapsed } from '../../src/config/duration.js';

// A measured time in a message (how long a call was retried, what a deadline left of it): whole
// seconds from 1s up, milliseconds only below, never a clock's `1s6ms` or `5625ms`.
describe('formatElapsed', () => {
  it.each([
    [1_006, '1s'],
    [5_625, '6s'],
    [1_499, '1s'],
    [90_400, '1m30s'],
    [3_723_456, '1h2m3s'],
    [250, '250ms'],
    [999.4, '999ms'],
    [999.6, '1s'],
    [0, '0s'],
  ])('shows %d ms as %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});
