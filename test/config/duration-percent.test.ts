import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { formatPercent, parsePercent } from '../../src/config/percent.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1m30s', 90_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '10 m', '1m1h', '1.5h', '-1s', 'ms', '10M', '1h 30m', ' 1s', '1w', '9999999999999999d'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it.each([
    [600_000, '10m'],
    [90_000, '1m30s'],
    [500, '500ms'],
    [0, '0s'],
    [172_800_000, '2d'],
    [5_400_000, '1h30m'],
    [93_784_005, '1d2h3m4s5ms'],
  ])('formats %d ms as %s, which reads back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('percentages', () => {
  it.each([
    ['10%', 0.1],
    ['12.5%', 0.125],
    ['0%', 0],
    ['7%', 0.07],
    ['150%', 1.5],
    ['0.5%', 0.005],
  ])('%s is %d', (text, fraction) => {
    expect(parsePercent(text)).toBe(fraction);
  });

  it.each(['10', '0.1', '10 %', '-5%', '%', '1e2%', 'ten%', '10%%'])('refuses %j', (text) => {
    expect(parsePercent(text)).toBeUndefined();
  });

  it('formats fractions back', () => {
    expect(formatPercent(0.125)).toBe('12.5%');
    expect(formatPercent(0.07)).toBe('7%');
  });
});
