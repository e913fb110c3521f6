import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { measureLatency } from '../../src/gates/latency-gate.js';
import { measureRatio } from '../../src/gates/ratio-gate.js';
import { fileSource, jsonErrorOffset } from '../../src/metrics/file-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { fraudLook, fraudOnSource } from '../support/fraud-on-source.js';

let root: string;
const T0 = 1_760_000_000_000;
const w = (slot: 'stable' | 'canary', version: string, model = 'fraud'): MetricWindow => ({
  model,
  slot,
  version,
  since: T0,
  until: T0 + 60_000,
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-gate-file-metrics-'));
  await mkdir(join(root, 'metrics'));
  await writeFile(
    join(root, 'metrics', 'slots.json'),
    JSON.stringify({
      slots: {
        stable: { version: 'v1', requests: 5000, 'error-rate': 0.01, latency: { p99: 0.2 } },
        canary: { version: 'v2', requests: 400, 'error-rate': 0.015, latency: { p99: 0.25 } },
      },
    }),
  );
  await writeFile(
    join(root, 'metrics', 'models.json'),
    JSON.stringify({ models: { ranker: { slots: { canary: { requests: 7, ndcg: 0.61 } } } } }),
  );
  await writeFile(
    join(root, 'metrics', 'fraud.json'),
    JSON.stringify({ slots: { canary: { version: 'v2', requests: 3 } } }),
  );
  const line = (o: object) => JSON.stringify(o);
  await writeFile(
    join(root, 'metrics', 'log.jsonl'),
    [
      line({ slot: 'canary', version: 'v2', time: (T0 - 10_000) / 1000, requests: 1, 'error-rate': 0.9 }),
      line({ slot: 'canary', version: 'v2', time: (T0 + 10_000) / 1000, requests: 100, 'error-rate': 0.02 }),
      '',
      line({
        slot: 'canary',
        version: 'v2',
        time: new Date(T0 + 50_000).toISOString(),
        requests: 300,
        'error-rate': 0.03,
      }),
      line({ slot: 'stable', model: 'other', requests: 5 }),
      line({ slot: 'canary', version: 'v2', time: (T0 + 120_000) / 1000, requests: 999, 'error-rate': 0.5 }),
    ].join('\n'),
  );
  await writeFile(join(root, 'metrics', 'broken.jsonl'), `${line({ slot: 'canary' })}\n{oops\n`);
  const histogram = (counts: number[]) =>
    [0.1, 0.25, 0.5, '+Inf'].map((le, i) => ({ le, count: counts[i] as number }));
  await writeFile(
    join(root, 'metrics', 'counts.json'),
    JSON.stringify({
      slots: {
        stable: {
          version: 'v1',
          n: 4000,
          errors: 40,
          latency: { buckets: histogram([3000, 3800, 3960, 4000]) },
        },
        canary: {
          version: 'v2',
          n: 400.4,
          errors: 24,
          latency: { buckets: histogram([200, 340, 380, 400]) },
        },
      },
    }),
  );
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('file source', () => {
  it('reads numbers per slot from JSON, only for the version in the window', async () => {
    const source = fileSource({ type: 'file', path: 'metrics/slots.json', requests: 'requests' }, root);
    expect(await source.requests(w('stable', 'v1'))).toBe(5000);
    expect(await source.value('error-rate', w('canary', 'v2'))).toBe(0.015);
    expect(await source.value('latency.p99', w('canary', 'v2'))).toBe(0.25);
    expect(await source.value('error-rate', w('canary', 'v3'))).toBeUndefined();
    // A request count too: the entry is v2's, and v3's requests are not known to be 0.
    await expect(source.requests(w('canary', 'v3'))).rejects.toThrow(
      `file: the requests query matched nothing for the canary slot (version v3), which is no data, not 0: metrics/slots.json has no entry for it (an entry stating another version is not this one's); check the selector (metrics.requests); a count of 0 must be written as 0: "requests"`,
    );
  });

  it('reads a model by name from "models", and fills template variables in the path', async () => {
    const models = fileSource({ type: 'file', path: 'metrics/models.json', requests: 'requests' }, root);
    expect(await models.value('ndcg', w('canary', 'any', 'ranker'))).toBe(0.61);
    expect(await models.value('ndcg', w('canary', 'any', 'fraud'))).toBeUndefined();
    const perModel = fileSource({ type: 'file', path: 'metrics/{{model}}.json', requests: 'requests' }, root);
    expect(await perModel.requests(w('canary', 'v2'))).toBe(3);
  });

  it('takes the last JSONL line of the slot and version inside the window', async () => {
    const source = fileSource({ type: 'file', path: 'metrics/log.jsonl', requests: 'requests' }, root);
    expect(await source.requests(w('canary', 'v2'))).toBe(300);
    expect(await source.value('error-rate', w('canary', 'v2'))).toBe(0.03);
    await expect(source.requests(w('stable', 'v1'))).rejects.toThrow(
      'file: the requests query matched nothing for the stable slot (version v1), which is no data, not 0: metrics/log.jsonl has no entry for it',
    );
  });

  it('says which file and line is wrong', async () => {
    const missing = fileSource({ type: 'file', path: 'metrics/none.json', requests: 'requests' }, root);
    await expect(missing.requests(w('canary', 'v2'))).rejects.toThrow(
      'file: metrics/none.json not found; the step that writes it must run before model-gate',
    );
    const broken = fileSource({ type: 'file', path: 'metrics/broken.jsonl', requests: 'requests' }, root);
    await expect(broken.requests(w('canary', 'v2'))).rejects.toThrow(
      /^file: metrics\/broken\.jsonl:2 is not valid JSON/,
    );
    const outside = fileSource(
      { type: 'file', path: 'metrics/{{version}}.json', requests: 'requests' },
      root,
    );
    await expect(outside.requests(w('canary', '..'))).rejects.toThrow(/cannot be ".." in a path/);
  });

  it('gives the place of a JSON error, never the text around it', async () => {
    const dir = join(root, 'metrics', 'bad');
    await mkdir(dir, { recursive: true });
    const cases: [string, string, string][] = [
      ['token.json', 'OUTSIDE_s3cr3t and more', 'file: metrics/bad/token.json is not valid JSON (column 1)'],
      [
        'inner.json',
        '{"slots":\n  {"a": SECRET_x}}',
        'file: metrics/bad/inner.json is not valid JSON (line 2, column 9)',
      ],
      ['comma.json', '{"slots": {},}', 'file: metrics/bad/comma.json is not valid JSON (column 14)'],
      [
        'short.json',
        '{"slots": {"SECRET_y',
        'file: metrics/bad/short.json is not valid JSON (it ends too early)',
      ],
      [
        'line.jsonl',
        '{"slot": "canary"}\n{"slot": SECRET_z}\n',
        'file: metrics/bad/line.jsonl:2 is not valid JSON (column 10)',
      ],
    ];
    for (const [name, text, message] of cases) {
      await writeFile(join(dir, name), text);
      const source = fileSource({ type: 'file', path: `metrics/bad/${name}`, requests: 'requests' }, root);
      const err = await source.requests(w('canary', 'v2')).catch((e: unknown) => e as Error);
      expect((err as Error).message).toBe(message);
      expect((err as Error).message).not.toMatch(/SECRET|OUTSIDE|'/);
    }
  });

  it('counts events and reads histograms per slot; `requests` is the source requests selector', async () => {
    const source = fileSource({ type: 'file', path: 'metrics/counts.json', requests: 'n' }, root);
    expect(await source.count?.('errors', w('canary', 'v2'))).toBe(24);
    expect(await source.count?.('requests', w('canary', 'v2'))).toBe(400);
    await expect(source.count?.('errors', w('canary', 'v3'))).rejects.toThrow(
      'file: the count query matched nothing for the canary slot (version v3)',
    );
    // An entry without the key: the selector and the entry are named.
    await expect(source.count?.('error', w('canary', 'v2'))).rejects.toThrow(
      'file: the count query matched nothing for the canary slot (version v2), which is no data, not 0: the canary entry of metrics/counts.json has nothing there; check the selector; a count of 0 must be written as 0: "error"',
    );
    expect(await source.buckets?.('latency.buckets', w('stable', 'v1'))).toEqual([
      { le: 0.1, count: 3000 },
      { le: 0.25, count: 3800 },
      { le: 0.5, count: 3960 },
      { le: '+Inf', count: 4000 },
    ]);
    await expect(source.buckets?.('errors', w('canary', 'v2'))).rejects.toThrow(
      /^file: metrics\/counts\.json \(canary\): "errors" selects a number, not a list of buckets/,
    );
  });

  it('serves ratio and latency gates end to end', async () => {
    const yaml = fraudOnSource(`{ type: file, path: metrics/counts.json, requests: n }`, [
      `{ name: errors, kind: ratio, events: errors, max-increase: 10% }`,
      `{ name: p95, kind: latency, buckets: latency.buckets, quantile: 0.95, max-increase: 10% }`,
    ]);
    const model = parseConfig(yaml, {}).config.models.fraud;
    const [ratio, latency] = model?.gates ?? [];
    if (model?.metrics.type !== 'file' || ratio?.kind !== 'ratio' || latency?.kind !== 'latency')
      throw new Error('config lost');
    const ctx = fraudLook(fileSource(model.metrics, root), T0, T0 + 60_000);
    // 6% errors against 1%: a regression far beyond 10%.
    expect(await measureRatio(ratio, ctx)).toMatchObject({ verdict: 'fail', canary: 0.06, baseline: 0.01 });
    // 15% of the candidate's requests are slower than 0.25 s, against 5% of stable's.
    const p95 = await measureLatency(latency, ctx);
    expect(p95.verdict).toBe('fail');
  });

  it('finds the first JSON syntax error where the parser does not say', () => {
    for (const valid of ['{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"]}', ' 0 ', '[]', '{}', '"s"'])
      expect(jsonErrorOffset(valid), valid).toBeUndefined();
    expect(jsonErrorOffset('{"a": x}')).toBe(6);
    expect(jsonErrorOffset('[1 2]')).toBe(3);
    expect(jsonErrorOffset('"a\\q"')).toBe(2);
    expect(jsonErrorOffset('{"a":1} z')).toBe(8);
    expect(jsonErrorOffset('[1,')).toBe(3);
  });
});

describe('file source and symlinks', () => {
  let repo: string;
  let outsideDir: string;
  beforeAll(async () => {
    outsideDir = await mkdtemp(join(tmpdir(), 'model-gate-outside-'));
    await writeFile(join(outsideDir, 'runner-secret'), 'OUTSIDE_s3cr3t token');
    await writeFile(
      join(outsideDir, 'v2.json'),
      JSON.stringify({ slots: { canary: { version: 'v2', requests: 9 } } }),
    );
    repo = await mkdtemp(join(tmpdir(), 'model-gate-repo-'));
    await mkdir(join(repo, 'metrics'));
    await writeFile(
      join(repo, 'metrics', 'real.json'),
      JSON.stringify({ slots: { canary: { version: 'v2', requests: 42 } } }),
    );
    await symlink(join(outsideDir, 'runner-secret'), join(repo, 'metrics', 'v2.json'));
    await symlink('real.json', join(repo, 'metrics', 'inside.json'));
    await symlink(outsideDir, join(repo, 'elsewhere'));
  });
  afterAll(async () => {
    for (const d of [repo, outsideDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  it('refuses a metrics file that is a symlink to outside the repository, showing none of its content', async () => {
    const source = fileSource({ type: 'file', path: 'metrics/{{version}}.json', requests: 'requests' }, repo);
    const err = await source.requests(w('canary', 'v2')).catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe(
      'file: metrics/v2.json: a symlink to outside the repository; model-gate reads metric files inside it only',
    );
    expect((err as Error).message).not.toContain('OUTSIDE');
  });

  it('refuses a path through a symlinked folder that leads outside, even to valid metrics', async () => {
    const source = fileSource({ type: 'file', path: 'elsewhere/v2.json', requests: 'requests' }, repo);
    await expect(source.requests(w('canary', 'v2'))).rejects.toThrow(
      'file: elsewhere/v2.json: a symlink to outside the repository; model-gate reads metric files inside it only',
    );
  });

  it('follows a symlink that stays inside the repository', async () => {
    const source = fileSource({ type: 'file', path: 'metrics/inside.json', requests: 'requests' }, repo);
    expect(await source.requests(w('canary', 'v2'))).toBe(42);
  });

  it('still says "not found" for a dangling symlink', async () => {
    await symlink(join(outsideDir, 'gone'), join(repo, 'metrics', 'dangling.json'));
    const source = fileSource({ type: 'file', path: 'metrics/dangling.json', requests: 'requests' }, repo);
    await expect(source.requests(w('canary', 'v2'))).rejects.toThrow(
      'file: metrics/dangling.json not found; the step that writes it must run before model-gate',
    );
  });
});
