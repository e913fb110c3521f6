import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { gateLabel } from '../../src/report/gate-label.js';
import { problemsOf } from './sample.js';

// An agreement gate's tolerance counts a shadow copy as agreeing when its score is within it of
// stable's. Only the sandbox applies it, and only at the bounds it counts score differences by;
// on another source the user's query says what agreeing is, and a tolerance beside it is refused.
const F = '.github/model-gate.yml';
const SANDBOX = '{ type: sandbox, url: http://127.0.0.1:8080 }';
const PROMETHEUS = '{ type: prometheus, url: "http://127.0.0.1:9090" }';
const AGREEMENT_QUERY = `'avg_over_time(agreement{version="{{version}}"}[{{window}}])'`;

/** A shadow of fraud on `metrics` with one gate (flow YAML), at line 10. */
const config = (metrics: string, gate: string) => `version: 1
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    target: { type: sandbox, url: http://127.0.0.1:8080 }
    metrics: ${metrics}
    strategy: { type: shadow, share: 50, duration: 1h }
    gates:
      - ${gate}
`;

describe("an agreement gate's tolerance", () => {
  it('on the sandbox source asks the sandbox for the share within it, and the report row says so', () => {
    const gates = parseConfig(
      config(SANDBOX, '{ name: agree, kind: agreement, min: 0.9, tolerance: 0.05 }'),
      {},
    ).config.models.fraud?.gates;
    expect(gates).toEqual([
      {
        kind: 'threshold',
        name: 'agree',
        query: 'agreement within 0.05',
        min: 0.9,
        failureLimit: 0,
        consecutiveErrorLimit: 4,
      },
    ]);
    expect(gateLabel(gates?.[0], 'agree')).toBe('agree (agreement within 0.05)');
  });

  it('is refused between two of the bounds the sandbox counts score differences by, naming them', () => {
    const gate = '{ name: agree, kind: agreement, tolerance: 0.03 }';
    expect(problemsOf(config(SANDBOX, gate))).toEqual([
      `${F}:9:${gate.indexOf('0.03') + 9}: models.fraud.gates[0].tolerance: expected one of 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1 on the sandbox source, got 0.03: it counts score differences up to these bounds only, so a tolerance between two would guess; use 0.02 or 0.05`,
    ]);
  });

  it('is refused on another sandbox query, and below 0', () => {
    expect(
      problemsOf(config(SANDBOX, '{ name: agree, kind: agreement, query: error-rate, tolerance: 0.05 }')),
    ).toEqual([
      `${F}:9:71: models.fraud.gates[0].tolerance: tolerance applies to the sandbox's agreement query only, not "error-rate": remove the query (or the tolerance)`,
    ]);
    expect(problemsOf(config(SANDBOX, '{ name: agree, kind: agreement, tolerance: -0.05 }'))).toEqual([
      `${F}:9:52: models.fraud.gates[0].tolerance: expected a number at least 0, got -0.05`,
    ]);
  });

  it('is refused on a source whose query defines agreement, saying to write it into the query', () => {
    const gate = `{ name: agree, kind: agreement, query: ${AGREEMENT_QUERY}, tolerance: 0.05 }`;
    expect(problemsOf(config(PROMETHEUS, gate))).toEqual([
      `${F}:9:${gate.indexOf('0.05') + 9}: models.fraud.gates[0].tolerance: tolerance is applied by the sandbox metric source only: with the prometheus source your query says what agreeing is, so count predictions within 0.05 of stable's as agreeing in the query itself, and remove tolerance`,
    ]);
    // Without it, the query is the agreement, as before.
    const without = gate.replace(', tolerance: 0.05', '');
    expect(parseConfig(config(PROMETHEUS, without), {}).config.models.fraud?.gates[0]).toMatchObject({
      kind: 'threshold',
      query: 'avg_over_time(agreement{version="{{version}}"}[{{window}}])',
    });
  });
});
