import { describe, expect, it } from 'vitest';
import { VersionError } from '../../src/core/errors.js';
import { readVersion } from '../../src/version/read-version.js';

const at = (key: string) => ({ file: 'models/fraud/model.yaml', key });

function refusal(text: string, key: string): string {
  try {
    readVersion(text, at(key));
  } catch (err) {
    expect(err).toBeInstanceOf(VersionError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('readVersion', () => {
  it('reads a top-level key from YAML and from JSON', () => {
    expect(readVersion('name: fraud\nversion: 1.4.0\n', at('version'))).toBe('1.4.0');
    expect(readVersion('{"name": "fraud", "version": "1.4.0"}', at('version'))).toBe('1.4.0');
  });

  it('follows dotted keys through mappings and list indexes', () => {
    const yaml = 'model:\n  serving:\n    version: v7\nreleases:\n  - version: r1\n  - version: r2\n';
    expect(readVersion(yaml, at('model.serving.version'))).toBe('v7');
    expect(readVersion(yaml, at('releases.1.version'))).toBe('r2');
    expect(readVersion('{"a": {"b": {"c": "2.0"}}}', at('a.b.c'))).toBe('2.0');
  });

  it('keeps numbers as written (1.10 is not 1.1)', () => {
    expect(readVersion('version: 1.10\n', at('version'))).toBe('1.10');
    expect(readVersion('{"version": 2.50}', at('version'))).toBe('2.50');
    expect(readVersion('version: 3\n', at('version'))).toBe('3');
  });

  it('names the missing key and the keys that are there', () => {
    expect(refusal('model:\n  name: fraud\n  revision: 2\n', 'model.version')).toBe(
      'models/fraud/model.yaml: key "model.version" not found: "model" has no key "version" (it has: "name", "revision")',
    );
    expect(refusal('name: fraud\n', 'version')).toBe(
      'models/fraud/model.yaml: key "version" not found: the top level has no key "version" (it has: "name")',
    );
    expect(refusal('model: fraud\n', 'model.version')).toBe(
      'models/fraud/model.yaml: key "model.version" not found: "model" is a single value, not a mapping with "version"',
    );
    expect(refusal('', 'version')).toBe(
      'models/fraud/model.yaml: key "version" not found: the top level is empty, not a mapping with "version"',
    );
  });

  it('refuses a mapping or a list where the version should be', () => {
    expect(refusal('version: { major: 1 }\n', 'version')).toBe(
      'models/fraud/model.yaml: key "version" is a mapping, expected a version such as "1.2.3"',
    );
    expect(refusal('version: [1, 2]\n', 'version')).toBe(
      'models/fraud/model.yaml: key "version" is a list, expected a version such as "1.2.3"',
    );
  });

  it('gives a parse error its position', () => {
    expect(refusal('version: [1.2\n', 'version')).toMatch(
      /^models\/fraud\/model\.yaml:2:1: cannot parse as YAML or JSON: Flow sequence/,
    );
    expect(refusal('{"version": "1.2",}x', 'version')).toMatch(
      /^models\/fraud\/model\.yaml:\d+:\d+: cannot parse as YAML or JSON: /,
    );
  });

  it('refuses a hostile value with the same message as validateVersion', () => {
    expect(refusal('version: "1.2; rm -rf /"\n', 'version')).toBe(
      'models/fraud/model.yaml: key "version": "1.2; rm -rf /" is not a valid version (letters, digits, . _ + - only, at most 128 characters)',
    );
    expect(refusal('version: |\n  1.2\n  $(id)\n', 'version')).toContain(
      '"1.2\\n$(id)\\n" is not a valid version',
    );
  });
});
