import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { problemsOf, VALID } from './sample.js';

// Anchors a real config shares settings through are read; what only a broken or hostile file
// holds (an alias with no anchor, a "billion laughs", a file or list far past any real one) is
// refused in one line naming the field and what to do, never a stack overflow or minutes of work.

const F = '.github/model-gate.yml';
const HEAD = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:9" }
  metrics: { type: sandbox, url: "http://127.0.0.1:9" }
models:
`;
const source = (name: string) => `source: { file: models/${name}/model.yaml, key: version }`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-yaml-size-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('settings shared through anchors', () => {
  it('reads 150 models on one strategy and gate list, and 70 more merging a model that uses them', () => {
    const rows = [
      '  fraud:',
      `    ${source('fraud')}`,
      '    strategy: &canary { type: canary, steps: [10, 25, 50], step-duration: 10m }',
      '    gates: &std',
      '      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }',
      '      - { name: p95, kind: threshold, query: latency-p95, max-increase: 50% }',
    ];
    for (let i = 0; i < 150; i++)
      rows.push(`  fraud-${i}: { ${source(`fraud-${i}`)}, strategy: *canary, gates: *std }`);
    rows.push('  ranker: &ranker', `    ${source('ranker')}`, '    strategy: *canary', '    gates: *std');
    rows.push('    on-merge: analyze-then-promote');
    for (let i = 0; i < 70; i++) rows.push(`  ranker-${i}: { <<: *ranker, ${source(`ranker-${i}`)} }`);

    const { config } = parseConfig(`${HEAD}${rows.join('\n')}\n`, {});
    expect(Object.keys(config.models)).toHaveLength(222);
    const last = config.models['ranker-69'];
    expect(last?.source.file).toBe('models/ranker-69/model.yaml');
    expect(last?.strategy).toMatchObject({ type: 'canary', steps: [10, 25, 50] });
    expect(last?.gates.map((g) => g.name)).toEqual(['errors', 'p95']);
    expect(last?.onMerge).toBe('analyze-then-promote');
  });

  it('reads the pattern the configuration guide shows: one model anchored, 150 merging it', () => {
    const rows = [
      '  m0: &base',
      `    ${source('m0')}`,
      '    strategy: { type: canary, steps: [10, 25], step-duration: 10m }',
      '    gates: [{ name: errors, kind: threshold, query: error-rate, max: 0.02 }]',
    ];
    for (let i = 1; i <= 150; i++) rows.push(`  m${i}: { <<: *base, ${source(`m${i}`)} }`);
    const { config } = parseConfig(`${HEAD}${rows.join('\n')}\n`, {});
    expect(Object.keys(config.models)).toHaveLength(151);
    expect(config.models.m150?.strategy).toMatchObject({ steps: [10, 25] });
  });

  it('refuses a "billion laughs" file at the alias that takes it too far, saying what to do', () => {
    const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of [...'bcdefghi'].entries())
      rows.push(`${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`);
    expect(problemsOf(`${rows.join('\n')}\nversion: 1\nmodels: *i\n`)).toEqual([
      `${F}:6:8: f[0]: the anchors expand too far: with *e here (66430 values) the file holds more than 100000 values once each alias is replaced by what it names; share less through aliases`,
    ]);
  });

  it('refuses more than 10000 aliases, at the one past the limit', () => {
    const rows = ['version: 1', 'a: &a 1', 'l:'];
    for (let i = 0; i < 101; i++) rows.push(`  - [${Array(100).fill('*a').join(', ')}]`);
    expect(problemsOf(`${rows.join('\n')}\nmodels: {}\n`)).toEqual([
      `${F}:104:6: l[100][0]: the anchors expand too far: more than 10000 aliases in the file; share less through aliases`,
    ]);
  });

  it('names the line and column of an alias whose anchor is not set before it', () => {
    const text = `${HEAD}  fraud:
    ${source('fraud')}
    strategy: &s { type: canary, steps: [10, 25] }
    gates: []
  ranker:
    ${source('ranker')}
    strategy: *nope
    gates: *early
    later: &early []
`;
    expect(problemsOf(text)).toEqual([
      `${F}:12:15: models.ranker.strategy: the alias *nope names no anchor set before it: define &nope above, or fix the name`,
      `${F}:13:12: models.ranker.gates: the alias *early names no anchor set before it: define &early above, or fix the name`,
    ]);
  });
});

describe('sizes far past any real config', () => {
  it('refuses a file over 1 MB, saying how big it is, before reading it as YAML', async () => {
    const file = join(dir, 'padded.yml');
    await writeFile(file, `${VALID}# ${'x'.repeat(1.5 * 1024 * 1024)}\n`);
    const error = await loadConfig(file, {}).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `${file}: is 1.5 MB; a model-gate config is at most 1 MB`,
    ]);
  });

  it('refuses a list of 150000 gates naming the field, not with a stack overflow', async () => {
    const file = join(dir, 'long-list.yml');
    await writeFile(
      file,
      `${HEAD}  fraud:\n    ${source('fraud')}\n    strategy: { type: canary, steps: [10] }\n    gates: [${Array(150_000).fill('1').join(',')}]\n`,
    );
    const error = await loadConfig(file, {}).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `${file}:9:5: models.fraud.gates: 150000 gates, at most 100`,
    ]);
  }, 60_000);

  it('takes 100 gates on a model and refuses 101', () => {
    const gates = (n: number) =>
      `${HEAD}  fraud:\n    ${source('fraud')}\n    strategy: { type: canary, steps: [10] }\n    gates:\n${Array.from(
        { length: n },
        (_, i) => `      - { name: g${i}, kind: threshold, query: error-rate, max: 0.02 }\n`,
      ).join('')}`;
    expect(parseConfig(gates(100), {}).config.models.fraud?.gates).toHaveLength(100);
    expect(problemsOf(gates(101))).toEqual([`${F}:9:5: models.fraud.gates: 101 gates, at most 100`]);
  });
});

describe('a duplicate key', () => {
  it("is reported with the file's other problems, not instead of them", () => {
    const text = `${HEAD}  fraud:
    ${source('fraud')}
    strategy: { type: canary, steps: [10, 140] }
    gates: []
    on-merge: require-pass
    on-merge: analyze-then-promote
`;
    expect(problemsOf(text)).toEqual([
      `${F}:8:43: models.fraud.strategy.steps[1]: expected a number between 0 and 100, got 140`,
      `${F}:11:5: models.fraud.on-merge: duplicate key, also at line 10; keep one`,
    ]);
  });
});
