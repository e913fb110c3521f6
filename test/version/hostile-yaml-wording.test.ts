import { describe, expect, it } from 'vitest';
import type { OfflineGateConfig } from '../../src/config/types.js';
import { VersionError } from '../../src/core/errors.js';
import { checkOffline } from '../../src/gates/offline-gate.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { readVersion } from '../../src/version/read-version.js';

// Hostile version and evaluation files get a sentence that says what is wrong with them, not
// yaml's internals ("Maximum call stack size exceeded") or a wrong guess ("an empty value").
const FILE = 'models/fraud.yaml';

function refusal(text: string): string {
  try {
    readVersion(text, { file: FILE, key: 'version' });
  } catch (err) {
    expect(err).toBeInstanceOf(VersionError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

/** `version: v1`, then a value nested `levels` deep in all (the top-level mapping is the first). */
const flowNested = (levels: number) => `version: v1\nx: ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}\n`;
const blockNested = (levels: number) =>
  `version: v1\n${Array.from({ length: levels - 1 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`;

describe('a version file nested too deeply', () => {
  it.each([
    ['flow lists', flowNested(770)],
    ['block mappings', blockNested(770)],
    ['JSON objects', `{"version": "v1", "x": ${'{"a": '.repeat(5000)}1${'}'.repeat(5000)}}`],
  ])('%s: says so, with the limit', (_, text) => {
    expect(refusal(text)).toMatch(
      /^models\/fraud\.yaml:\d+:\d+: cannot parse as YAML or JSON: nested too deeply \(more than 100 levels\)$/,
    );
  });

  it('100 levels read as usual', () => {
    expect(readVersion(flowNested(100), { file: FILE, key: 'version' })).toBe('v1');
    expect(readVersion(blockNested(100), { file: FILE, key: 'version' })).toBe('v1');
    expect(refusal(flowNested(101))).toContain('nested too deeply (more than 100 levels)');
  });
});

describe('an alias whose anchor is missing', () => {
  it('names the alias and the anchor it needs', () => {
    const expected = `${FILE}: key "version" uses the alias *v2, but no anchor &v2 comes before it: set &v2 on an earlier value, or write the value itself`;
    expect(refusal('version: *v2\n')).toBe(expected);
    // An anchor set after the alias does not count (YAML resolves aliases backwards).
    expect(refusal('version: *v2\nlater: &v2 v2\n')).toBe(expected);
    expect(readVersion('stable: &v2 v2\nversion: *v2\n', { file: FILE, key: 'version' })).toBe('v2');
  });
});

describe("an offline gate's hostile evaluation file", () => {
  const gate: OfflineGateConfig = { kind: 'offline', name: 'auc', file: 'eval.json', key: 'auc', min: 0.9 };
  const judge = (text: string) =>
    checkOffline(
      gate,
      memoryFileReader({ base: {}, head: { 'eval.json': text } }),
      { base: 'base', head: 'head', version: 'v2' },
      0,
    );

  it('a "billion laughs" file: says it has too many aliases', async () => {
    const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of [...'bcdefghi'].entries()) {
      const prev = 'abcdefghi'[i];
      rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const state = await judge(`${rows.join('\n')}\nauc: 0.95\n`);
    expect(state.verdict).toBe('fail');
    expect(state.last?.note).toBe(
      'eval.json has too many aliases to expand (more than 10000 copies of anchored values, as in a "billion laughs" file): write the values out',
    );
  });

  it('an alias without its anchor, and a file nested too deeply: each said so', async () => {
    expect((await judge('auc: *score\n')).last?.note).toBe(
      'eval.json uses the alias *score, but no anchor &score comes before it: set &score on an earlier value, or write the value itself',
    );
    expect((await judge(`auc: 0.95\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`)).last?.note).toMatch(
      /^eval\.json:2:\d+ is not valid YAML or JSON: nested too deeply \(more than 100 levels\)$/,
    );
    // JSON is read natively, as deep as it goes: its value is found.
    const deepJson = await judge(`{"auc": 0.95, "x": ${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(deepJson.verdict).toBe('pass');
  });
});
