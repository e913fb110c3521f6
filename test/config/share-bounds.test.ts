import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { runCli } from '../support/cli-process.js';
import { problemsOf } from './sample.js';

// A share bound written as a percent number (`max: 5` on error-rate, meant as 5%) is 500%: nothing
// reaches it, the gate passes a broken candidate and the merge promotes it. Refused at load, with
// the field and the fraction to write; so is "5%" where a number is expected.
const F = '.github/model-gate.yml';

/** One canary model on `source`; `gates` are flow-style YAML lines, gates[0] at line 10. */
const config = (gates: string[], source = 'type: sandbox, url: http://127.0.0.1:8080') => `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: http://127.0.0.1:8080 }
    metrics: { ${source} }
    strategy: { type: canary, steps: [10, 50] }
    must-have-data: true
    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;

const P99 = '{ name: p99, kind: threshold, query: latency-p99, max: 250 }';
const errors = (bound: string) => `{ name: errors, kind: threshold, query: error-rate, ${bound} }`;

describe('a share bound written as a percent number, on the sandbox source', () => {
  it('max: 5 on error-rate (500%) is refused, naming the field and the fraction to write', () => {
    expect(problemsOf(config([P99, errors('max: 5')]))).toEqual([
      `${F}:11:66: models.fraud.gates[1].max: 5 on error-rate, a share from 0 to 1: write 0.05 for 5%`,
    ]);
  });

  it('the other sandbox shares: null-rate max 2, accuracy min 90, a negative conversion-rate min', () => {
    const shadow = config([
      '{ name: nulls, kind: threshold, query: null-rate, max: 2 }',
      '{ name: right, kind: threshold, query: accuracy, min: 90 }',
      '{ name: conv, kind: threshold, query: conversion-rate, min: -1 }',
    ]);
    expect(problemsOf(shadow)).toEqual([
      `${F}:10:64: models.fraud.gates[0].max: 2 on null-rate, a share from 0 to 1: write 0.02 for 2%`,
      `${F}:11:63: models.fraud.gates[1].min: 90 on accuracy, a share from 0 to 1: write 0.9 for 90%`,
      `${F}:12:69: models.fraud.gates[2].min: -1 on conversion-rate, a share from 0 to 1: write a fraction from 0 to 1, e.g. 0.05 for 5%`,
    ]);
  });

  it('"5%" where a number is expected says which number to write', () => {
    expect(problemsOf(config([errors('max: "5%"')]))).toEqual([
      `${F}:10:66: models.fraud.gates[0].max: expected a number, got "5%": write 0.05 for 5%`,
    ]);
  });

  it('a bound in the metric unit still loads: max 0.05 on error-rate, 250 ms on latency-p99', () => {
    const gates = parseConfig(config([P99, errors('max: 0.05')]), {}).config.models.fraud?.gates;
    expect(gates).toMatchObject([
      { query: 'latency-p99', max: 250 },
      { query: 'error-rate', max: 0.05 },
    ]);
  });

  it('on another source a name ending in rate is not known to be a share: max 5 loads', () => {
    const prometheus = config(
      ['{ name: errors, kind: threshold, query: \'errors_rate{slot="{{slot}}"}\', max: 5 }'],
      'type: prometheus, url: http://127.0.0.1:9090',
    );
    expect(parseConfig(prometheus, {}).config.models.fraud?.gates[0]).toMatchObject({ max: 5 });
  });
});

describe('fractions elsewhere written as percent numbers say what to write', () => {
  it('alpha 5, quantile 99, drift max-distance 10', () => {
    const lines = config([
      '{ name: errs, kind: ratio, events: errors, max-increase: 10%, alpha: 5 }',
      '{ name: lat, kind: latency, quantile: 99, max-increase: 10% }',
      '{ name: drift, kind: drift, max-distance: 10 }',
    ]);
    expect(problemsOf(lines)).toEqual([
      `${F}:10:78: models.fraud.gates[0].alpha: expected a number less than 1, got 5: write 0.05 for 5%`,
      `${F}:11:47: models.fraud.gates[1].quantile: expected a number less than 1, got 99: write 0.99 for 99%`,
      `${F}:12:51: models.fraud.gates[2].max-distance: expected a number less than 1, got 10: write 0.1 for 10%`,
    ]);
  });
  it('an agreement gate min 95 on a shadow', () => {
    const shadow = config(['{ name: agree, kind: agreement, min: 95 }']).replace(
      '{ type: canary, steps: [10, 50] }',
      '{ type: shadow, duration: 10m }',
    );
    expect(problemsOf(shadow)).toEqual([
      `${F}:10:46: models.fraud.gates[0].min: expected a number at most 1, got 95: write 0.95 for 95%`,
    ]);
  });
});

describe('model-gate validate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mg-share-bounds-'));
    await mkdir(join(dir, '.github'));
    await mkdir(join(dir, 'models'));
    await writeFile(join(dir, 'models/fraud.yaml'), 'version: v3\n');
  });

  it('refuses max: 5 on error-rate (exit 1) with the line to fix; max: 0.05 is valid', async () => {
    await writeFile(join(dir, F), config([P99, errors('max: 5')]));
    const refused = await runCli(dir, ['validate']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(
      'models.fraud.gates[1].max: 5 on error-rate, a share from 0 to 1: write 0.05 for 5%',
    );

    await writeFile(join(dir, F), config([P99, errors('max: 0.05')]));
    const valid = await runCli(dir, ['validate']);
    expect(valid).toMatchObject({ code: 0, stdout: `✓ ${F}: 1 model (fraud)\n` });
  });
});
