import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { BlueGreenStrategyConfig } from '../../src/config/types.js';
import { problemsOf } from './sample.js';

const F = '.github/model-gate.yml';

/** One blue-green model on `target`, with `smoke` as a flow mapping. */
const blueGreen = (smoke: string, target = '{ type: sandbox, url: http://127.0.0.1:8080 }') => `version: 1
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: ${target}
    metrics: { type: sandbox, url: http://127.0.0.1:8080 }
    strategy: { type: blue-green, smoke: ${smoke} }
    gates: []
`;

describe("blue-green's smoke test in the config", () => {
  it('is normalised with its defaults, and the sandbox needs no URL', () => {
    const { config } = parseConfig(blueGreen('{ requests: [{ features: [1, 2] }], max-latency: 300ms }'), {});
    const strategy = config.models.fraud?.strategy as BlueGreenStrategyConfig;
    expect(strategy.smoke).toEqual({
      requests: [{ features: [1, 2] }],
      headers: {},
      repeat: 1,
      maxErrors: 0,
      maxLatencyMs: 300,
      timeoutMs: 10_000,
    });
  });

  it('needs the URL of green on any other target, and says where', () => {
    const kserve =
      '{ type: kserve, namespace: ml, name: fraud, storage-uri: "s3://models/fraud/{{version}}" }';
    expect(problemsOf(blueGreen('{ requests: [{ x: 1 }] }', kserve))).toEqual([
      `${F}:7:35: models.fraud.strategy.smoke.url: required with the kserve target: the URL where green (the candidate) answers directly, with {{model}} and {{version}} filled in, e.g. https://models.example.com/{{model}}/{{version}}/predict`,
    ]);
    const withUrl = blueGreen(
      '{ requests: [{ x: 1 }], url: "https://ml.example.com/{{model}}-{{version}}/predict" }',
      kserve,
    );
    expect(() => parseConfig(withUrl, {})).not.toThrow();
  });

  it('refuses an empty set, a body that is not an object, an unknown placeholder and too many requests', () => {
    expect(problemsOf(blueGreen('{ requests: [] }'))).toEqual([
      `${F}:7:44: models.fraud.strategy.smoke.requests: expected at least one request body, got an empty list`,
    ]);
    expect(problemsOf(blueGreen('{ requests: [[1, 2]] }'))[0]).toMatch(/smoke\.requests\[0\]: /);
    expect(problemsOf(blueGreen('{ requests: [{ x: 1 }], url: "http://h/{{name}}/predict" }'))).toEqual([
      `${F}:7:71: models.fraud.strategy.smoke.url: unknown placeholder {{name}}; only {{model}} and {{version}} are filled in`,
    ]);
    expect(() => parseConfig(blueGreen('{ requests: [{ x: 1 }, { x: 2 }], repeat: 100 }'), {})).not.toThrow();
    expect(
      problemsOf(
        blueGreen(
          '{ requests: [{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }, { x: 5 }, { x: 6 }, { x: 7 }, { x: 8 }, { x: 9 }, { x: 10 }, { x: 11 }], repeat: 100 }',
        ),
      )[0],
    ).toMatch(/smoke\.repeat: 11 requests × repeat 100 = 1100 smoke requests; at most 1000$/);
  });
});
