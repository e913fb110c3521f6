import { describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { ConfigError, VersionError } from '../../src/core/errors.js';
import { cachedReader } from '../../src/version/cached-reader.js';
import { findChangedModels, memoryFileReader } from '../../src/version/changed-models.js';

function model(name: string, file: string, key = 'version'): ModelConfig {
  return {
    name,
    source: { file, key },
    target: { type: 'sandbox', url: 'http://127.0.0.1:1' },
    metrics: { type: 'sandbox', url: 'http://127.0.0.1:1' },
    strategy: { type: 'canary', steps: [50], stepDurationMs: 60_000, minRequests: 1, intervalMs: 1_000 },
    gates: [],
    onMerge: 'require-pass',
    mustHaveData: true,
  };
}

const config: Config = {
  version: 1,
  allowForks: false,
  models: {
    fraud: model('fraud', 'models/fraud/model.yaml'),
    ranker: model('ranker', 'models/ranker/model.json', 'model.version'),
    churn: model('churn', 'models/churn/model.yaml'),
    gone: model('gone', 'models/gone/model.yaml'),
    shared: model('shared', 'models/fraud/model.yaml', 'shadow'),
  },
};

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);

const files: Record<string, Record<string, string>> = {
  [BASE]: {
    'models/fraud/model.yaml': 'version: 1.0.0\nshadow: s1\n',
    'models/ranker/model.json': '{"model": {"version": "3.1"}}',
    'models/gone/model.yaml': 'version: 9\n',
  },
  [HEAD]: {
    'models/fraud/model.yaml': 'version: 1.1.0\nshadow: s1\n',
    'models/ranker/model.json': '{"model": {"version": "3.1"}}',
    'models/churn/model.yaml': 'version: 0.1.0\n',
  },
};

describe('findChangedModels', () => {
  it('finds changed and new models, skips unchanged and removed ones, in config order', async () => {
    const changed = await findChangedModels(config, memoryFileReader(files), BASE, HEAD);
    expect(changed).toStrictEqual([
      { model: 'fraud', from: '1.0.0', to: '1.1.0' },
      { model: 'churn', to: '0.1.0' },
    ]);
  });

  it('restricts the answer to one model with `only`', async () => {
    const reader = memoryFileReader(files);
    expect(await findChangedModels(config, reader, BASE, HEAD, 'churn')).toStrictEqual([
      { model: 'churn', to: '0.1.0' },
    ]);
    expect(await findChangedModels(config, reader, BASE, HEAD, 'ranker')).toStrictEqual([]);
  });

  it('refuses an unknown `only`, listing the known models', async () => {
    const error = await findChangedModels(config, memoryFileReader(files), BASE, HEAD, 'frud').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'unknown model "frud" (did you mean "fraud"?); the config declares: fraud, ranker, churn, gone, shared',
    ]);
  });

  it('refuses an invalid version at head, naming file and key, and reports all of them', async () => {
    const reader = memoryFileReader({
      ...files,
      [HEAD]: { ...files[HEAD], 'models/fraud/model.yaml': 'version: "1.2; rm -rf /"\nshadow: $(id)\n' },
    });
    const error = await findChangedModels(config, reader, BASE, HEAD).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionError);
    expect((error as Error).message.split('\n')).toEqual([
      'models/fraud/model.yaml: key "version": "1.2; rm -rf /" is not a valid version (letters, digits, . _ + - only, at most 128 characters)',
      'models/fraud/model.yaml: key "shadow": "$(id)" is not a valid version (letters, digits, . _ + - only, at most 128 characters)',
    ]);
  });

  it('refuses a head file without the key, but treats an unreadable base as a new model', async () => {
    const missingKey = memoryFileReader({
      ...files,
      [HEAD]: { ...files[HEAD], 'models/churn/model.yaml': 'name: churn\n' },
    });
    await expect(findChangedModels(config, missingKey, BASE, HEAD, 'churn')).rejects.toThrow(
      'models/churn/model.yaml: key "version" not found: the top level has no key "version" (it has: "name")',
    );
    const brokenBase = memoryFileReader({
      ...files,
      [BASE]: { ...files[BASE], 'models/fraud/model.yaml': 'version: [\n' },
    });
    expect(await findChangedModels(config, brokenBase, BASE, HEAD, 'fraud')).toStrictEqual([
      { model: 'fraud', to: '1.1.0' },
    ]);
  });

  it("reads each file once per ref even when models share it, through the run's caching reader", async () => {
    const reads: string[] = [];
    const inner = memoryFileReader(files);
    const reader = {
      read: (ref: string, path: string) => {
        reads.push(`${ref.slice(0, 1)}:${path}`);
        return inner.read(ref, path);
      },
    };
    // The action and the CLI hand findChangedModels a cachedReader, shared with every later look.
    await findChangedModels(config, cachedReader(reader), BASE, HEAD);
    expect(reads.filter((r) => r.endsWith('models/fraud/model.yaml'))).toEqual([
      'b:models/fraud/model.yaml',
      'a:models/fraud/model.yaml',
    ]);
  });
});

describe('memoryFileReader', () => {
  it('answers undefined for unknown refs and paths, including prototype names', async () => {
    const reader = memoryFileReader(files);
    expect(await reader.read('c'.repeat(40), 'models/fraud/model.yaml')).toBeUndefined();
    expect(await reader.read(HEAD, 'nope')).toBeUndefined();
    expect(await reader.read(HEAD, 'constructor')).toBeUndefined();
    expect(await reader.read('__proto__', 'toString')).toBeUndefined();
  });
});
