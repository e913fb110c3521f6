import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { interpolateEnv } from '../../src/config/interpolate.js';
import { JSON_SCHEMA_PATH } from '../../src/config/json-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// Config files a careless or hostile PR could hand the loader: each gets one clear line naming
// the field, never a crash, a stack trace, a silently changed setting or an accepted secret.

const F = '.github/model-gate.yml';
const HEAD = `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: sandbox, url: http://127.0.0.1:8080 }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
`;
/** A one-model config on the sandbox; `rest` is YAML at model depth. */
const model = (rest: string, gates = '    gates: []\n') => `${HEAD}${rest}${gates}`;
const CANARY = '    strategy: { type: canary, steps: [10, 50] }\n';
/** The gates an A/B must have: its split check (counting users) and its conversion. */
const AB_GATES =
  '    gates: [{ name: split, kind: srm, units: users }, { name: conversion, kind: conversion, exposures: exposed-users, conversions: converted-users }]\n';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('YAML a config cannot be', () => {
  it('refuses an alias inside the mapping it names, naming the path and the alias', () => {
    expect(problemsOf('version: 1\nmodels:\n  a: &x {source: {file: m, key: v}, gates: [*x]}\n')).toEqual([
      `${F}:3:45: models.a.gates[0]: the alias *x repeats a mapping or list that contains it, which would never end; copy the values it needs instead`,
    ]);
    expect(problemsOf('version: 1\nmodels: &m\n  a:\n    <<: *m\n')).toEqual([
      `${F}:4:9: models.a["<<"]: the alias *m repeats a mapping or list that contains it, which would never end; copy the values it needs instead`,
    ]);
  });

  it('says a list nested past what the parser can read is too deep, not that a call stack overflowed', () => {
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}`;
    const problems = problemsOf(`version: 1\nmodels:\n  a: ${deep}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${F}:3:\\d+: YAML syntax error: nested too deeply to read$`));
  });

  it('says a second document is one too many', () => {
    expect(problemsOf(`${model(CANARY)}---\nversion: 1\n`)).toEqual([
      `${F}:10:1: the file holds more than one YAML document (---); keep one`,
    ]);
  });

  it('refuses tags JSON has no value for in one line, not one per byte', () => {
    expect(problemsOf('version: 1\nmodels: !!binary aGVsbG8=\n')).toEqual([
      `${F}:2:18: models: the YAML tag !!binary is not supported; write plain strings, numbers, true/false, lists and mappings`,
    ]);
    expect(problemsOf(model(CANARY, '    gates: !!set { a }\n'))).toEqual([
      `${F}:9:5: models.fraud.gates: the YAML tag !!set is not supported; write plain strings, numbers, true/false, lists and mappings`,
    ]);
  });

  it('refuses a list used as a key, with no warning on stderr', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    expect(problemsOf('version: 1\nmodels:\n  ? [a]\n  : x\n')).toEqual([
      `${F}:2:1: models: a list or mapping is used as a key; keys must be plain text`,
    ]);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('keys that would reach the prototype', () => {
  it('refuses __proto__ under a model instead of taking its settings as the model', () => {
    const text = model(
      `${CANARY}    __proto__: { on-merge: analyze-then-promote, must-have-data: false, strategy: { type: canary, steps: [100] } }\n`,
    );
    expect(problemsOf(text)).toEqual([
      `${F}:9:5: models.fraud.__proto__: unknown key (__proto__, constructor and prototype are never config keys); remove it`,
    ]);
  });

  it('refuses constructor and prototype keys too, wherever they are', () => {
    const text = model(
      `    strategy: { type: canary, steps: [10, 50], constructor: 1 }\n    target: { type: http, url: "http://s", headers: { prototype: x } }\n`,
    );
    expect(problemsOf(text)).toEqual([
      `${F}:8:48: models.fraud.strategy.constructor: unknown key (__proto__, constructor and prototype are never config keys); remove it`,
      `${F}:9:55: models.fraud.target.headers.prototype: unknown key (__proto__, constructor and prototype are never config keys); remove it`,
    ]);
  });

  it('leaves the reserved key out of the data and every object with the ordinary prototype', () => {
    const { value, problems } = interpolateEnv(JSON.parse('{"m": {"__proto__": {"on-merge": "x"}}}'), {});
    const m = (value as { m: Record<string, unknown> }).m;
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(m['on-merge']).toBeUndefined();
    expect(problems.map((p) => p.path)).toEqual([['m', '__proto__']]);
  });
});

describe('environment variables', () => {
  it(`an unset \${valueOf} or \${constructor} is unset, not a member of process.env`, () => {
    const text = model(CANARY.replace('[10, 50] }', `[10, 50], step-duration: "\${valueOf}" }`));
    expect(problemsOf(text)).toEqual([
      `${F}:8:63: models.fraud.strategy.step-duration: environment variable valueOf is not set: set it in the action step's env: (or export it)`,
    ]);
    const { problems } = interpolateEnv({ a: `\${constructor}`, b: `\${toString}` }, process.env);
    expect(problems.map((p) => p.message)).toEqual([
      "environment variable constructor is not set: set it in the action step's env: (or export it)",
      "environment variable toString is not set: set it in the action step's env: (or export it)",
    ]);
  });
});

describe('secrets written in the file', () => {
  const datadog = (keys: string) =>
    model(`${CANARY}    metrics: { type: datadog, ${keys}, requests: "sum:r{*}.as_count()" }\n`);

  it('refuses a literal Datadog api-key and application-key, saying what to write', () => {
    const problems = problemsOf(datadog('api-key: 0123456789abcdef, application-key: fedcba9876543210'));
    expect(problems).toEqual([
      `${F}:9:40: models.fraud.metrics.api-key: a secret written in the file; write api-key: "\${DD_API_KEY}" and set DD_API_KEY from a secret (secrets come from the environment, never from the file)`,
      `${F}:9:75: models.fraud.metrics.application-key: a secret written in the file; write application-key: "\${DD_APP_KEY}" and set DD_APP_KEY from a secret (secrets come from the environment, never from the file)`,
    ]);
    expect(problems.join('\n')).not.toMatch(/0123456789abcdef|fedcba9876543210/);
  });

  it('accepts the keys from the environment', () => {
    const env = { DD_API_KEY: 'k1', DD_APP_KEY: 'k2' };
    const { config } = parseConfig(
      datadog(`api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}"`),
      env,
    );
    expect(config.models.fraud?.metrics).toMatchObject({ apiKey: 'k1', applicationKey: 'k2' });
  });

  it('refuses a literal secret header and a literal URL password, but not an ordinary header', () => {
    const text = model(
      `${CANARY}    metrics:\n      type: prometheus\n      url: "https://user:hunter2@prom.example"\n      headers: { Authorization: "Bearer sk-live-0123", X-Scope-OrgID: tenant-1 }\n`,
      `    gates:\n      - { name: w, kind: webhook, url: "https://hooks.example/check", headers: { X-Api-Key: abc123, X-Auth-Token: t0k } }\n`,
    );
    const problems = problemsOf(text);
    expect(problems).toEqual([
      `${F}:11:12: models.fraud.metrics.url: the URL holds a password written in the file; write it as user:\${URL_PASSWORD}@ and set URL_PASSWORD from a secret (secrets come from the environment, never from the file)`,
      `${F}:12:33: models.fraud.metrics.headers.Authorization: a secret written in the file; write Authorization: "Bearer \${API_TOKEN}" and set API_TOKEN from a secret (secrets come from the environment, never from the file)`,
      `${F}:14:93: models.fraud.gates[0].headers.X-Api-Key: a secret written in the file; write X-Api-Key: "\${API_KEY}" and set API_KEY from a secret (secrets come from the environment, never from the file)`,
      `${F}:14:115: models.fraud.gates[0].headers.X-Auth-Token: a secret written in the file; write X-Auth-Token: "\${AUTH_TOKEN}" and set AUTH_TOKEN from a secret (secrets come from the environment, never from the file)`,
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter2|sk-live|abc123|t0k/);
  });

  it(`accepts secrets from \${NAME}, in a header or in a URL`, () => {
    const env = { PROM_USER: 'grafana', PROM_TOKEN: 'glc_s3cret', TOKEN: 'sk-live-0123' };
    const text = model(
      `${CANARY}    metrics:\n      type: prometheus\n      url: "https://\${PROM_USER}:\${PROM_TOKEN}@prom.example"\n      headers: { Authorization: "Bearer \${TOKEN}", X-Scope-OrgID: tenant-1 }\n`,
    );
    const { config } = parseConfig(text, env);
    expect(config.models.fraud?.metrics).toMatchObject({
      headers: { Authorization: 'Bearer sk-live-0123', 'X-Scope-OrgID': 'tenant-1' },
    });
    expect(() =>
      parseConfig(text.replace(`\${PROM_USER}:\${PROM_TOKEN}`, `grafana:\${PROM_TOKEN}`), env),
    ).not.toThrow();
  });
});

describe('shares of traffic', () => {
  const strategyOf = (strategy: string, gates?: string) =>
    parseConfig(model(`    strategy: ${strategy}\n`, gates), {}).config.models.fraud?.strategy;

  it('take a bare number or a percentage, the same either way', () => {
    expect(strategyOf('{ type: canary, steps: [1, "5%", 25%, 50] }')).toMatchObject({
      steps: [1, 5, 25, 50],
    });
    expect(strategyOf('{ type: linear, step-size: 12.5%, max-weight: "50%" }')).toMatchObject({
      stepSize: 12.5,
      maxWeight: 50,
    });
    expect(strategyOf('{ type: ab, split: "30%" }', AB_GATES)).toMatchObject({ split: 30 });
    expect(strategyOf('{ type: shadow, share: 0.5% }')).toMatchObject({ share: 0.5 });
    expect(strategyOf('{ type: shadow, share: 25 }')).toMatchObject({ share: 25 });
  });

  it('refuse a bare split or share below 1, which would silently mean less than one percent', () => {
    expect(problemsOf(model('    strategy: { type: ab, split: 0.5 }\n', AB_GATES))).toEqual([
      `${F}:8:34: models.fraud.strategy.split: expected a percentage of the users, got the bare number 0.5, which means 0.5%: write 50% for half, or 0.5% if you mean it`,
    ]);
    expect(problemsOf(model('    strategy: { type: shadow, share: 0.1 }\n'))).toEqual([
      `${F}:8:38: models.fraud.strategy.share: expected a percentage of the requests, got the bare number 0.1, which means 0.1%: write 10% for 0.1 of the requests, or 0.1% if you mean it`,
    ]);
  });

  it('refuse more than 100 in either form', () => {
    expect(problemsOf(model('    strategy: { type: canary, steps: [10, "140%"] }\n'))).toEqual([
      `${F}:8:43: models.fraud.strategy.steps[1]: expected a number between 0 and 100 or a percentage such as "10%", got "140%"`,
    ]);
  });
});

describe('one mistake, one error', () => {
  it('a bare step-duration is not also compared with the interval', () => {
    expect(problemsOf(model('    strategy: { type: canary, steps: [10, 50], step-duration: 10 }\n'))).toEqual(
      [
        `${F}:8:63: models.fraud.strategy.step-duration: expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d", got the bare number 10 (add a unit: ms, s, m, h or d)`,
      ],
    );
  });

  it('an out-of-range step-size is not also compared with max-weight', () => {
    expect(problemsOf(model('    strategy: { type: linear, step-size: 150 }\n'))).toEqual([
      `${F}:8:42: models.fraud.strategy.step-size: expected a number between 0 and 100, got 150`,
    ]);
  });
});

describe('the published JSON Schema refuses what the loader refuses', async () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(await readFile(JSON_SCHEMA_PATH, 'utf8')));
  const valid = (yaml: string) => validate(parse(yaml));

  it('accepts a valid config and both forms of a share of traffic', async () => {
    expect(valid(await readFile('examples/sandbox/model-gate.yml', 'utf8'))).toBe(true);
    expect(valid(model('    strategy: { type: canary, steps: [1, "5%", 50] }\n'))).toBe(true);
  });

  it.each([
    ['a zero step-duration', model('    strategy: { type: canary, steps: [50], step-duration: 0s }\n')],
    [
      'a max-decrease above 100%',
      model(CANARY, '    gates: [{ name: e, kind: threshold, query: error-rate, max-decrease: 110% }]\n'),
    ],
    [
      'a threshold gate with no bound',
      model(CANARY, '    gates: [{ name: e, kind: threshold, query: error-rate }]\n'),
    ],
    [
      'an offline gate with no bound',
      model(CANARY, '    gates: [{ name: a, kind: offline, file: e.json, key: auc }]\n'),
    ],
    ['a bare split below 1', model('    strategy: { type: ab, split: 0.5 }\n', AB_GATES)],
    ['a step above 100%', model('    strategy: { type: canary, steps: [10, "140%"] }\n')],
  ])('refuses %s, as the loader does', (_, yaml) => {
    expect(() => parseConfig(yaml, {})).toThrow();
    expect(valid(yaml)).toBe(false);
  });
});
