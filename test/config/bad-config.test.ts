import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { problemsOf } from './sample.js';

const F = '.github/model-gate.yml';

/** A one-model config on the sandbox defaults; `strategy` and `gates` are YAML lines at model depth. */
function oneModel(strategy: string, gates = '    gates: []\n'): string {
  return `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: sandbox, url: http://127.0.0.1:8080 }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
${strategy}${gates}`;
}
const CANARY = '    strategy: { type: canary, steps: [10, 50] }\n';
const gates = (...lines: string[]) => `    gates:\n${lines.map((l) => `      - ${l}\n`).join('')}`;

describe('bad configs: one exact line per problem, with file, line, column and path', () => {
  it('a step out of range', () => {
    expect(problemsOf(oneModel('    strategy: { type: canary, steps: [10, 50, 140] }\n'))).toEqual([
      `${F}:8:47: models.fraud.strategy.steps[2]: expected a number between 0 and 100, got 140`,
    ]);
  });

  it('a conversion margin of 100% or more on a drop: it would pass a candidate that never converts', () => {
    const ab = '    strategy: { type: ab, split: 50, sticky-header: x-user-id }\n';
    // A key split's conversion gate counts users.
    const USERS = 'exposures: exposed-users, conversions: converted-users';
    const SPLIT = '{ name: split, kind: srm, units: users }';
    expect(
      problemsOf(oneModel(ab, gates(`{ name: conv, kind: conversion, ${USERS}, margin: "100%" }`, SPLIT))),
    ).toEqual([
      `${F}:10:105: models.fraud.gates[0].margin: expected below 100% with direction "decrease" (a drop that large passes even a candidate that never converts), got 100%`,
    ]);
    // A rate where lower is better may well double: direction increase takes any margin.
    const increase = gates(
      `{ name: conv, kind: conversion, ${USERS}, direction: increase, margin: "150%" }`,
      SPLIT,
    );
    expect(parseConfig(oneModel(ab, increase), {}).config.models.fraud?.gates[0]).toMatchObject({
      margin: 1.5,
    });
  });

  it('a model without gates (a required list, not a crash)', () => {
    expect(problemsOf(oneModel(CANARY, ''))).toEqual([`${F}:6:3: models.fraud.gates: required`]);
  });

  it('a zero step', () => {
    expect(problemsOf(oneModel('    strategy: { type: canary, steps: [0, 50] }\n'))).toEqual([
      `${F}:8:39: models.fraud.strategy.steps[0]: expected a number between 0 and 100 (more than 0), got 0`,
    ]);
  });

  it('a zero step or share written as text says why, as a bare 0 does', () => {
    const more = 'expected a percentage between 0% and 100% (more than 0%)';
    expect(problemsOf(oneModel('    strategy: { type: canary, steps: ["0%", 50] }\n'))).toEqual([
      `${F}:8:39: models.fraud.strategy.steps[0]: ${more}, got "0%"`,
    ]);
    expect(problemsOf(oneModel('    strategy: { type: shadow, share: "0%" }\n'))).toEqual([
      `${F}:8:38: models.fraud.strategy.share: ${more}, got "0%"`,
    ]);
  });

  it('text in a whole-number field: a whole number is asked for, not a fraction it would refuse next', () => {
    const rolling = (fields: string) => oneModel(`    strategy: { type: rolling, ${fields} }\n`);
    expect(problemsOf(rolling('instances: "4", min-available: "50%", min-requests: "10%"'))).toEqual([
      `${F}:8:43: models.fraud.strategy.instances: expected a whole number, got "4"`,
      `${F}:8:63: models.fraud.strategy.min-available: expected a whole number, got "50%"`,
      `${F}:8:84: models.fraud.strategy.min-requests: expected a whole number, got "10%"`,
    ]);
    // A batch is counted in instances: a share is turned into a count.
    expect(problemsOf(rolling('batch-size: "25%"'))).toEqual([
      `${F}:8:44: models.fraud.strategy.batch-size: expected a whole number of instances, got "25%": for 25% of 4 instances write 1`,
    ]);
    expect(problemsOf(rolling('batch-size: 0.25'))).toEqual([
      `${F}:8:44: models.fraud.strategy.batch-size: expected a whole number of instances, got 0.25: for 25% of 4 instances write 1`,
    ]);
    expect(problemsOf(rolling('batch-size: "12.5%"'))).toEqual([
      `${F}:8:44: models.fraud.strategy.batch-size: expected a whole number of instances, got "12.5%": for 12.5% of 8 instances write 1`,
    ]);
  });

  it('steps that do not increase', () => {
    expect(problemsOf(oneModel('    strategy: { type: canary, steps: [10, 50, 50, 25] }\n'))).toEqual([
      `${F}:8:47: models.fraud.strategy.steps[2]: expected more than 50 (steps must increase), got 50`,
      `${F}:8:51: models.fraud.strategy.steps[3]: expected more than 50 (steps must increase), got 25`,
    ]);
  });

  it('steps that are no list, or missing: the field named, not a crash', () => {
    expect(problemsOf(oneModel('    strategy: { type: canary, steps: 10 }\n'))).toEqual([
      `${F}:8:38: models.fraud.strategy.steps: expected a list, got 10`,
    ]);
    expect(problemsOf(oneModel('    strategy: { type: canary, steps: null }\n'))).toEqual([
      `${F}:8:38: models.fraud.strategy.steps: expected a list, got an empty value`,
    ]);
    expect(problemsOf(oneModel('    strategy: { type: canary, step: [10, 25] }\n'))).toEqual([
      `${F}:8:5: models.fraud.strategy.steps: required: Percent of live traffic on the candidate at each step: strictly increasing, each in (0, 100]`,
      `${F}:8:31: models.fraud.strategy.step: unknown key, did you mean "steps"?`,
    ]);
  });

  it('a misspelt strategy type: one line, not a second one about the target', () => {
    expect(problemsOf(oneModel('    strategy: { type: canari, steps: [10] }\n'))).toEqual([
      `${F}:8:23: models.fraud.strategy.type: unknown strategy type "canari", did you mean "canary"?`,
    ]);
  });

  it('a rolling min-available not below instances names min-available, not batch-size', () => {
    expect(
      problemsOf(
        oneModel('    strategy: { type: rolling, instances: 4, batch-size: 2, min-available: 5 }\n'),
      ),
    ).toEqual([
      `${F}:8:76: models.fraud.strategy.min-available: expected fewer than instances (4), got 5: a rolling update replaces at least one instance at a time`,
    ]);
  });

  it('a duration without a known unit, and a bare number of seconds', () => {
    expect(
      problemsOf(
        oneModel('    strategy: { type: canary, steps: [10], step-duration: 10 min, interval: 30 }\n'),
      ),
    ).toEqual([
      `${F}:8:59: models.fraud.strategy.step-duration: expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d", got "10 min": write "10m"`,
      `${F}:8:77: models.fraud.strategy.interval: expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d", got the bare number 30 (add a unit: ms, s, m, h or d)`,
    ]);
  });

  it('an interval not shorter than the step duration', () => {
    expect(
      problemsOf(oneModel('    strategy: { type: canary, steps: [10], step-duration: 1m, interval: 60s }\n')),
    ).toEqual([`${F}:8:73: models.fraud.strategy.interval: expected less than step-duration (1m), got 1m`]);
  });

  it('a percentage written as a bare number', () => {
    expect(
      problemsOf(
        oneModel(CANARY, gates('{ name: p99, kind: threshold, query: latency-p99, max-increase: 10 }')),
      ),
    ).toEqual([
      `${F}:10:73: models.fraud.gates[0].max-increase: expected a percentage such as "10%", got the bare number 10; write "10%"`,
    ]);
    expect(
      problemsOf(
        oneModel(CANARY, gates('{ name: p99, kind: threshold, query: latency-p99, max-increase: 0.1 }')),
      ),
    ).toEqual([
      `${F}:10:73: models.fraud.gates[0].max-increase: expected a percentage such as "10%", got the bare number 0.1; write "0.1%" (or "10%" if 0.1 is a fraction)`,
    ]);
  });

  it('an unknown key, with a hint for a near miss and the allowed keys otherwise', () => {
    expect(
      problemsOf(
        oneModel('    strategy:\n      type: canary\n      steps: [10]\n      step_duration: 10m\n'),
      ),
    ).toEqual([`${F}:11:7: models.fraud.strategy.step_duration: unknown key, did you mean "step-duration"?`]);
    expect(problemsOf(`${oneModel(CANARY)}colour: blue\n`)).toEqual([
      `${F}:10:1: colour: unknown key (allowed: version, defaults, allow-forks, models)`,
    ]);
  });

  it('an unknown target type lists the known ones', () => {
    const text = oneModel(`    target: { type: eks, namespace: ml }\n${CANARY}`);
    expect(problemsOf(text)).toEqual([
      `${F}:8:21: models.fraud.target.type: unknown target type "eks" (known: "sandbox", "kserve", "sagemaker", "azureml", "vertex", "seldon", "http" or "command")`,
    ]);
  });

  it('a missing environment variable names the field and the variable', () => {
    const text = oneModel(`    target: { type: sandbox, url: "\${SANDBOX_URL}" }\n${CANARY}`);
    expect(problemsOf(text, {})).toEqual([
      `${F}:8:35: models.fraud.target.url: environment variable SANDBOX_URL is not set: set it in the action step's env: (or export it)`,
    ]);
    expect(problemsOf(text, { SANDBOX_URL: '' })).toEqual([
      `${F}:8:35: models.fraud.target.url: environment variable SANDBOX_URL is empty (an unset secret reads as empty in GitHub Actions)`,
    ]);
  });

  it('duplicate gate names', () => {
    const text = oneModel(
      CANARY,
      gates(
        '{ name: errors, kind: threshold, query: error-rate, max: 0.01 }',
        '{ name: errors, kind: threshold, query: null-rate, max: 0.01 }',
      ),
    );
    expect(problemsOf(text)).toEqual([
      `${F}:11:17: models.fraud.gates[1].name: duplicate gate name "errors" (also gates[0])`,
    ]);
  });

  it('a threshold gate without a bound, and min above max', () => {
    const text = oneModel(
      CANARY,
      gates(
        '{ name: errors, kind: threshold, query: error-rate }',
        '{ name: mean, kind: threshold, query: mean-score, min: 0.5, max: 0.2 }',
      ),
    );
    expect(problemsOf(text)).toEqual([
      `${F}:10:9: models.fraud.gates[0]: a threshold gate needs at least one of max, min, max-increase or max-decrease`,
      `${F}:11:64: models.fraud.gates[1].min: expected at most max (0.2), got 0.5`,
    ]);
  });

  it('an unknown sandbox query lists the known ones', () => {
    const text = oneModel(CANARY, gates('{ name: p98, kind: threshold, query: latency_p99, max: 0.2 }'));
    expect(problemsOf(text)).toEqual([
      `${F}:10:46: models.fraud.gates[0].query: unknown sandbox query "latency_p99", did you mean "latency-p99"? (known: error-rate, null-rate, latency-p50, latency-p95, latency-p99, latency-mean, mean-score, request-rate, agreement, conversion-rate, accuracy)`,
    ]);
  });

  it('linear steps that would not be equal', () => {
    expect(problemsOf(oneModel('    strategy: { type: linear, step-size: 30, max-weight: 100 }\n'))).toEqual([
      `${F}:8:42: models.fraud.strategy.step-size: expected a step-size that divides max-weight (100) into equal steps, got 30 (steps 30, 60, 90, 100); or set max-weight: 90`,
    ]);
    expect(
      problemsOf(
        oneModel(
          '    strategy: { type: linear, step-size: 70 }\n',
          gates('{ name: e, kind: threshold, query: error-rate, max: 0.02 }'),
        ),
      ),
    ).toEqual([`${F}:8:42: models.fraud.strategy.step-size: expected at most max-weight (50), got 70`]);
  });

  it('a blue-green model with a gate that needs stable traffic beside green during the bake', () => {
    const text = oneModel(
      '    strategy: { type: blue-green }\n',
      gates(
        '{ name: errors, kind: ratio, events: errors, total: requests, max-increase: 10% }',
        '{ name: e2, kind: threshold, query: error-rate, max-increase: 10% }',
      ),
    );
    expect(problemsOf(text)).toEqual([
      `${F}:10:31: models.fraud.gates[0].kind: a ratio gate compares green with blue's traffic at the same time, but the blue-green bake sends all traffic to green; use a threshold gate (max-increase compares with blue just before the switch)`,
    ]);
  });

  it('a YAML syntax error gives its line and column', () => {
    expect(problemsOf('version: 1\nmodels:\n  fraud: { source: [\n')).toEqual([
      `${F}:4:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
    // A duplicate key leaves the file readable: the file's other problems come with it, each at
    // the last of the repeated keys, whose value is the one read.
    expect(problemsOf('version: 1\nversion: 1\nmodels: {}\n')).toEqual([
      `${F}:2:1: version: duplicate key, also at line 1; keep one`,
      `${F}:3:1: models: expected at least one model, got none`,
    ]);
    expect(
      problemsOf('version: 1\nmodels:\n  fraud: {}\n  fraud:\n    gates: [{ name: a, name: b }]\n'),
    ).toEqual([
      `${F}:4:3: models.fraud: duplicate key, also at line 3; keep one`,
      `${F}:4:3: models.fraud.source: required: Where the PR declares the model version`,
      `${F}:4:3: models.fraud.target: required (or set defaults.target)`,
      `${F}:4:3: models.fraud.metrics: required (or set defaults.metrics)`,
      `${F}:4:3: models.fraud.strategy: required (or set defaults.strategy)`,
      `${F}:5:13: models.fraud.gates[0].kind: required (gate kind: "threshold", "agreement", "offline", "ratio", "latency", "srm", "conversion", "drift" or "webhook")`,
      `${F}:5:24: models.fraud.gates[0].name: duplicate key, also at line 5; keep one`,
    ]);
  });

  it('missing models, an empty models mapping, a missing version', () => {
    expect(problemsOf('version: 1\n')).toEqual([
      `${F}:1:1: models: required (a mapping from each model name to its settings)`,
    ]);
    expect(problemsOf('version: 1\nmodels: {}\n')).toEqual([
      `${F}:2:1: models: expected at least one model, got none`,
    ]);
    expect(problemsOf('models: {}\n')).toEqual([
      `${F}:1:1: version: required (write "version: 1")`,
      `${F}:1:1: models: expected at least one model, got none`,
    ]);
  });

  it('a bad model name', () => {
    const text = oneModel(CANARY).replace('  fraud:', '  Fraud Detector:');
    expect(problemsOf(text)).toEqual([
      `${F}:6:3: models["Fraud Detector"]: invalid model name "Fraud Detector" (lowercase letters, digits, '-', '_' and '.', 1-63 characters, starting with a letter or digit)`,
    ]);
  });

  it('a model without a target when there is no default', () => {
    const text = `version: 1\nmodels:\n  fraud:\n    source: { file: m.yaml, key: version }\n${CANARY}    gates: []\n`;
    expect(problemsOf(text)).toEqual([
      `${F}:3:3: models.fraud.target: required (or set defaults.target)`,
      `${F}:3:3: models.fraud.metrics: required (or set defaults.metrics)`,
    ]);
  });

  it('unsafe paths, a non-http url, a wrong version and a wrong type', () => {
    const text = `version: 2
models:
  fraud:
    source: { file: ../secrets.yaml, key: version }
    target: { type: sandbox, url: "file:///etc/passwd" }
    metrics: { type: sandbox, url: http://127.0.0.1:1 }
${CANARY}    gates:
      - { name: auc, kind: offline, file: /tmp/eval.json, key: auc, min: 0.9 }
    must-have-data: "yes"
`;
    expect(problemsOf(text)).toEqual([
      `${F}:1:10: version: expected 1 (the only config version so far), got 2`,
      `${F}:4:21: models.fraud.source.file: expected a path relative to the repository root without "..", got "../secrets.yaml" (it contains "..")`,
      `${F}:5:35: models.fraud.target.url: expected an http:// or https:// URL, got "file:///etc/passwd"`,
      `${F}:9:43: models.fraud.gates[0].file: expected a path relative to the repository root without "..", got "/tmp/eval.json" (it is absolute)`,
      `${F}:10:21: models.fraud.must-have-data: expected true or false, got "yes"`,
    ]);
  });

  it('an empty file and a top level that is not a mapping say so', () => {
    expect(problemsOf('')).toEqual([
      `${F}: the file is empty; expected a mapping with \`version: 1\` and \`models:\``,
    ]);
    expect(problemsOf('# only a comment\n')).toEqual([
      `${F}: the file is empty; expected a mapping with \`version: 1\` and \`models:\``,
    ]);
    expect(problemsOf('- version: 1\n')).toEqual([
      `${F}:1:1: expected a mapping (version, defaults, models) at the top level, got a list`,
    ]);
    expect(problemsOf('just text\n')).toEqual([
      `${F}:1:1: expected a mapping (version, defaults, models) at the top level, got "just text"`,
    ]);
  });

  it('reports every problem at once, in file order, with no stack trace', () => {
    const text = `version: 1
defaults:
  metrics: { type: influxdb, url: http://x }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: sandbox, url: "\${MISSING}" }
    strategy:
      type: canary
      steps: [10, 140]
      step-duraton: 10m
    gates:
      - { name: e, kind: threshold, query: error-rate, max-increase: 10 }
      - { name: e, kind: smoke }
    on-merge: always
`;
    let error: unknown;
    try {
      parseConfig(text, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      `${F}:3:20: defaults.metrics.type: unknown metrics type "influxdb" (known: "sandbox", "prometheus", "datadog", "cloudwatch", "http-json" or "file")`,
      `${F}:7:35: models.fraud.target.url: environment variable MISSING is not set: set it in the action step's env: (or export it)`,
      `${F}:10:19: models.fraud.strategy.steps[1]: expected a number between 0 and 100, got 140`,
      `${F}:11:7: models.fraud.strategy.step-duraton: unknown key, did you mean "step-duration"?`,
      `${F}:13:70: models.fraud.gates[0].max-increase: expected a percentage such as "10%", got the bare number 10; write "10%"`,
      `${F}:14:17: models.fraud.gates[1].name: duplicate gate name "e" (also gates[0])`,
      `${F}:14:26: models.fraud.gates[1].kind: unknown gate kind "smoke" (known: "threshold", "agreement", "offline", "ratio", "latency", "srm", "conversion", "drift" or "webhook")`,
      `${F}:15:15: models.fraud.on-merge: expected one of "require-pass" or "analyze-then-promote", got "always"`,
    ]);
    expect((error as ConfigError).message).toBe(problems.join('\n'));
    expect((error as ConfigError).message).not.toMatch(/\n\s+at /);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    expect(problemsOf(`${lines.join('\n')}\nmodels: {}\n`)).toEqual([
      `${F}:6:45: a4[7]: the anchors expand too far: with *a3 here (11111 values) the file holds more than 100000 values once each alias is replaced by what it names; share less through aliases`,
    ]);
  });

  it('names the file it was given', () => {
    expect(() => parseConfig('version: 1\n', {}, 'ci/gate.yml')).toThrow(
      'ci/gate.yml:1:1: models: required (a mapping from each model name to its settings)',
    );
  });

  it('refuses, at validation, a strategy the target cannot do, with the reason', () => {
    const text = `version: 1
models:
  fraud:
    source: { file: m.yaml, key: version }
    target: { type: kserve, namespace: ml, name: fraud, storage-uri: "s3://b/{{version}}" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [0.5, 10] }
    gates: []
`;
    expect(problemsOf(text)).toEqual([
      `${F}:7:39: models.fraud.strategy.steps[0]: the kserve target takes whole percentages of traffic, got the step 0.5; use whole numbers`,
    ]);
  });

  it('names the fractional step of a strategy from defaults, under the model whose target refuses it', () => {
    const text = `version: 1
defaults:
  strategy: { type: canary, steps: [1, "2.5%", 50] }
models:
  fraud:
    source: { file: m.yaml, key: version }
    target: { type: vertex, project: p, region: us-central1, endpoint: "123" }
    metrics: { type: prometheus, url: "http://127.0.0.1:1" }
    gates: []
`;
    expect(problemsOf(text)).toEqual([
      `${F}:7:5: models.fraud.target: the vertex target takes whole percentages of traffic, got the step 2.5; use whole numbers (in defaults.strategy.steps[1], which this model takes)`,
    ]);
  });

  it('refuses a linear strategy whose steps are fractions on a target that takes whole percentages', () => {
    const linear = (size: string) => `version: 1
models:
  fraud:
    source: { file: m.yaml, key: version }
    target: { type: kserve, namespace: ml, name: fraud, storage-uri: "s3://b/{{version}}" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: linear, step-size: ${size}, max-weight: 10 }
    gates: []
`;
    expect(problemsOf(linear('2.5'))).toEqual([
      `${F}:7:42: models.fraud.strategy.step-size: the kserve target takes whole percentages of traffic, got the step-size 2.5; use whole numbers`,
    ]);
    expect(problemsOf(linear('"2.5%"'))).toEqual([
      `${F}:7:42: models.fraud.strategy.step-size: the kserve target takes whole percentages of traffic, got the step-size 2.5; use whole numbers`,
    ]);
    expect(parseConfig(linear('5'), {}).config.models.fraud?.strategy).toMatchObject({ stepSize: 5 });
  });
});

describe('query templates in gates, on a metrics source that takes them', () => {
  it('refuses an unknown variable or a stray {{ before anything is deployed, naming the field', () => {
    const text = `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: prometheus, url: http://127.0.0.1:9090 }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10] }
    gates:
      - { name: e, kind: ratio, events: 'sum(errors{slot="{{slott}}"})', total: 'sum(requests{slot="{{slot}}"})', max-increase: 10% }
      - { name: p, kind: threshold, query: 'max(x{v="{{ version"})', max: 1 }
`;
    expect(problemsOf(text)).toEqual([
      `${F}:10:41: models.fraud.gates[0].events: unknown variable {{slott}} (known: {{slot}}, {{model}}, {{version}}, {{name}}, {{window}}, {{since}}, {{until}})`,
      `${F}:11:44: models.fraud.gates[1].query: "{{" at character 10 does not start a variable such as {{slot}} (known: slot, model, version, name, window, since, until)`,
    ]);
  });
});

describe('gates the metric source cannot serve', () => {
  it('refuses latency and drift gates and a drift watch on a source without histogram buckets, with what to use', () => {
    const text = `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: cloudwatch, requests: "SELECT SUM(Invocations) FROM SCHEMA(\\"AWS/SageMaker\\", VariantName) WHERE VariantName = 'fraud-{{version}}'" }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10] }
    drift-watch: { window: 1h }
    gates:
      - { name: p99, kind: latency, buckets: latency, quantile: 0.99, max-increase: 10% }
      - { name: scores, kind: drift, buckets: scores }
      - { name: errors, kind: ratio, events: '{"Id": "e", "MetricStat": {"Metric": {"Namespace": "M", "MetricName": "Errors", "Dimensions": [{"Name": "Version", "Value": "{{version}}"}]}, "Stat": "Sum"}}', max-increase: 10% }
  ranker:
    source: { file: models/ranker/model.yaml, key: version }
    strategy: { type: canary, steps: [10] }
    metrics: { type: datadog, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "sum:r{*}.as_count()" }
    gates:
      - { name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }
`;
    expect(problemsOf(text, { DD_API_KEY: 'k1', DD_APP_KEY: 'k2' })).toEqual([
      `${F}:9:5: models.fraud.drift-watch: the cloudwatch metric source has no histogram buckets, which a drift watch compares; use a prometheus, http-json or file metric source for this model`,
      `${F}:11:28: models.fraud.gates[0].kind: the cloudwatch metric source has no histogram buckets, which a latency gate needs; use kind: threshold with a percentile statistic ("Stat": "p99"), or a prometheus, http-json or file metric source`,
      `${F}:12:31: models.fraud.gates[1].kind: the cloudwatch metric source has no histogram buckets, which a drift gate needs; use a prometheus, http-json or file metric source`,
      `${F}:19:28: models.ranker.gates[0].kind: the datadog metric source has no histogram buckets, which a latency gate needs; use kind: threshold with a percentile of a distribution metric (p99:latency{...}), or a prometheus, http-json or file metric source`,
    ]);
  });

  it("accepts the SPEC's ratio and latency gates with PromQL on a prometheus source", () => {
    const text = `version: 1
defaults:
  metrics: { type: prometheus, url: "http://prom:9090" }
models:
  fraud-detector:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: kserve, namespace: ml, name: fraud-detector, storage-uri: "s3://b/{{version}}" }
    strategy: { type: canary, steps: [1, 5, 25, 50], step-duration: 10m, min-requests: 500 }
    gates:
      - name: error-rate
        kind: ratio
        events: 'sum(increase(requests_total{model="fraud",slot="{{slot}}",code=~"5.."}[{{window}}]))'
        total:  'sum(increase(requests_total{model="fraud",slot="{{slot}}"}[{{window}}]))'
        max-increase: 10%
      - name: p99-latency
        kind: latency
        buckets: 'sum by (le) (increase(latency_seconds_bucket{slot="{{slot}}"}[{{window}}]))'
        quantile: 0.99
        max-increase: 15%
`;
    const gates = parseConfig(text, {}).config.models['fraud-detector']?.gates;
    expect(gates?.map((g) => g.kind)).toEqual(['ratio', 'latency']);
  });
});
