import { describe, expect, it } from 'vitest';
import { VersionError } from '../../src/core/errors.js';
import { validateVersion } from '../../src/version/validate-version.js';

const WHERE = { file: 'models/fraud/model.yaml', key: 'version' };
const RULE = '(letters, digits, . _ + - only, at most 128 characters)';

function refusal(value: unknown): string {
  try {
    validateVersion(value, WHERE);
  } catch (err) {
    expect(err).toBeInstanceOf(VersionError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${String(value)}`);
}

describe('validateVersion', () => {
  it.each(['1.2.3', 'v2', '2024-06-01', '1.0.0-rc.1+build.5', 'a', 'x'.repeat(128), 'sha_1f2e3d'])(
    'accepts %s',
    (v) => {
      expect(validateVersion(v, WHERE)).toBe(v);
    },
  );

  it('accepts finite numbers as their text', () => {
    expect(validateVersion(3, WHERE)).toBe('3');
    expect(validateVersion(1.5, WHERE)).toBe('1.5');
  });

  it.each([
    ['1.2; rm -rf /', '"1.2; rm -rf /"'],
    ['$(id)', '"$(id)"'],
    ['`id`', '"`id`"'],
    ['1.2\nrm -rf /', '"1.2\\nrm -rf /"'],
    ['1.2\r\n::set-output name=x::y', '"1.2\\r\\n::set-output name=x::y"'],
    ['1.2 3', '"1.2 3"'],
    ['1.2\u0000', '"1.2\\u0000"'],
    ['1.2\u202e', '"1.2\\u202e"'],
    ['', 'an empty string'],
    ['x'.repeat(129), `"${'x'.repeat(40)}…" (129 characters)`],
    ['a'.repeat(10_240), `"${'a'.repeat(40)}…" (10240 characters)`],
    [{ v: 1 }, 'a mapping'],
    [['1'], 'a list'],
    [null, 'an empty value'],
    [undefined, 'an empty value'],
    [true, 'true'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ])('refuses %j, naming file and key and showing it safely', (value, shown) => {
    const message = refusal(value);
    expect(message).toBe(`models/fraud/model.yaml: key "version": ${shown} is not a valid version ${RULE}`);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(260);
  });

  it.each(['-rf', '--output', '.hidden', '+1'])(
    'refuses %j, which does not start with a letter or digit',
    (value) => {
      expect(refusal(value)).toBe(
        `models/fraud/model.yaml: key "version": "${value}" is not a valid version (it must start with a letter or digit)`,
      );
    },
  );
});
