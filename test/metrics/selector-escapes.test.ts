import { describe, expect, it } from 'vitest';
import { MetricsError } from '../../src/core/errors.js';
import { parseSelector, select } from '../../src/metrics/selector.js';

// A quoted key is a JSON string. One holding an escape JSON does not know (`\.`, as in a regular
// expression) made JSON.parse throw a raw SyntaxError out of the selector: out of the config check,
// and out of a look mid-release, which stopped the run with the candidate's live traffic on.

describe('a quoted key with an escape JSON does not know', () => {
  it('is a problem naming the escape and what to write, never a thrown error', () => {
    expect(parseSelector('metrics["p99\\.latency"]')).toEqual({
      problem:
        'the quoted key at character 8 holds the escape \\., which JSON does not know; inside ["..."] the key is a JSON string: write it as it is, a dot without a backslash (metrics["p99.latency"]), escaping only \\" and \\\\',
    });
    expect(parseSelector('a["\u0001"]')).toMatchObject({
      problem: expect.stringMatching(/^the quoted key at character 2 holds a control character; /),
    });
  });

  it('makes a look a metrics error, which the gate counts, not a crash', () => {
    expect(() => select({}, 'metrics["p99\\.latency"]')).toThrow(MetricsError);
  });

  it('leaves the escapes JSON knows as they were', () => {
    expect(select({ 'x"y': { 'p99.latency': 1 } }, '["x\\"y"]["p99.latency"]')).toBe(1);
    expect(select({ x: { A: 2 } }, 'x["\\u0041"]')).toBe(2);
  });
});
