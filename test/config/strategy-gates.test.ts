import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// A strategy and gates that cannot work together are refused when validated: a gate that could
// never judge fails every release at its deadline, and one at 100% of traffic in the first phase
// would pass without ever being judged.

const F = '.github/model-gate.yml';

/** One model `fraud` on the sandbox, with `strategy` (flow YAML) and the gates (flow YAML, one a line). */
const config = (strategy: string, gates: string[], defaults = '') =>
  `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: sandbox, url: http://127.0.0.1:8080 }
${defaults}models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
${strategy ? `    strategy: ${strategy}\n` : ''}    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;

const SPLIT = '{ name: split, kind: srm }';
/** On an A/B split by a sticky key: the srm gate counts users, the unit the split randomises. */
const USER_SPLIT = '{ name: split, kind: srm, units: users }';
/** On an A/B split by a sticky key: the conversion gate counts users too. */
const CONVERSION =
  '{ name: conversion, kind: conversion, exposures: exposed-users, conversions: converted-users }';
/** The sandbox's default counts: conversions per request. */
const REQUEST_CONVERSION = '{ name: conversion, kind: conversion }';
const ERRORS = '{ name: errors, kind: ratio, events: errors, max-increase: 10% }';
const THRESHOLD = '{ name: e, kind: threshold, query: error-rate, max: 0.02 }';

const PROMETHEUS_USERS =
  'count(count by (user_id) (increase(requests_total{slot="{{slot}}"}[{{window}}]) > 0))';

const accepted = (text: string) => parseConfig(text, {}).config.models.fraud;

describe('an A/B', () => {
  it('is refused at a split of 100, naming the field and what to use instead', () => {
    const tail =
      'expected less than 100: an A/B compares the users on the candidate with those on stable, and at 100% none are left on stable; use a split such as 50, or type: blue-green for an all-at-once switch';
    expect(problemsOf(config('{ type: ab, split: 100 }', [USER_SPLIT, CONVERSION]))).toEqual([
      `${F}:8:34: models.fraud.strategy.split: ${tail}`,
    ]);
    expect(
      problemsOf(config('', [USER_SPLIT, CONVERSION], '  strategy: { type: ab, split: "100%" }\n')),
    ).toEqual([`${F}:5:32: defaults.strategy.split: ${tail}`]);
    expect(accepted(config('{ type: ab, split: 99.5 }', [USER_SPLIT, CONVERSION]))?.strategy).toMatchObject({
      split: 99.5,
    });
  });

  it('is refused without a conversion gate, showing the gate to add', () => {
    expect(problemsOf(config('{ type: ab, split: 50 }', [USER_SPLIT, THRESHOLD]))).toEqual([
      `${F}:9:5: models.fraud.gates: an ab strategy promotes only on a business outcome compared between the arms, which a conversion gate judges; add one, e.g. - { name: conversion, kind: conversion, exposures: exposed-users, conversions: converted-users }`,
    ]);
    expect(accepted(config('{ type: ab }', [CONVERSION, USER_SPLIT, THRESHOLD]))?.gates).toHaveLength(3);
  });

  it('is refused without an srm gate, naming the gates, why and the exact gate to add for its target and source', () => {
    const why =
      "models.fraud.gates: an ab strategy's analysis holds only for the split the config sets: a split that drifted from it (the serving path giving the candidate more or less than its share) makes the comparison between the arms invalid, which an srm gate checks; add one, e.g.";
    // The sandbox splits users by the sticky header: the gate counts users.
    expect(problemsOf(config('{ type: ab, split: 50 }', [CONVERSION, THRESHOLD]))).toEqual([
      `${F}:9:5: ${why} - { name: split, kind: srm, units: users } (counting users, the unit the split by x-user-id randomises)`,
    ]);
    const prometheus = config('{ type: ab, sticky-header: x-session }', [
      '{ name: conversion, kind: conversion, conversions: \'sum(conv{slot="{{slot}}"})\', exposures: \'sum(exp{slot="{{slot}}"})\' }',
    ]).replace(
      'metrics: { type: sandbox, url: http://127.0.0.1:8080 }',
      'metrics: { type: prometheus, url: "http://127.0.0.1:9090" }',
    );
    expect(problemsOf(prometheus)).toEqual([
      `${F}:9:5: ${why} - { name: split, kind: srm, units: '${PROMETHEUS_USERS}' } (counting users, the unit the split by x-session randomises; it needs a user label on the series; mind its cardinality, or count users where your events are logged)`,
    ]);
    // SageMaker picks an arm for each request: requests are the unit.
    const sagemaker = config('{ type: ab }', [REQUEST_CONVERSION]).replace(
      'target: { type: sandbox, url: http://127.0.0.1:8080 }',
      'target: { type: sagemaker, endpoint: fraud-ep, region: eu-west-1 }',
    );
    expect(problemsOf(sagemaker)).toEqual([
      `${F}:9:5: ${why} - { name: split, kind: srm } (counting requests, the unit the sagemaker target randomises: it picks an arm for each request)`,
    ]);
    // The line shown is one the config accepts.
    expect(accepted(config('{ type: ab }', [CONVERSION, USER_SPLIT]))?.gates.map((g) => g.kind)).toEqual([
      'conversion',
      'srm',
    ]);
  });

  it('on a source that needs the queries written, shows them in the conversion gate to add', () => {
    const text = config('{ type: ab }', [`{ name: split, kind: srm, units: '${PROMETHEUS_USERS}' }`]).replace(
      'metrics: { type: sandbox, url: http://127.0.0.1:8080 }',
      'metrics: { type: prometheus, url: "http://127.0.0.1:9090" }',
    );
    expect(problemsOf(text)).toEqual([
      `${F}:9:5: models.fraud.gates: an ab strategy promotes only on a business outcome compared between the arms, which a conversion gate judges; add one, e.g. - { name: conversion, kind: conversion, conversions: <count query>, exposures: <count query> }`,
    ]);
  });

  it('refuses an srm gate counting requests where the target splits users by a key, naming units and how to count users', () => {
    const why = (target: string, split: string) =>
      `required on an A/B whose ${target} target splits users by x-user-id: without units the gate counts requests, and a few heavy users make a correct ${split} user split read as a mismatch, so it would roll back good candidates; count the users per slot`;
    expect(problemsOf(config('{ type: ab, split: 20 }', [CONVERSION, SPLIT]))).toEqual([
      `${F}:11:9: models.fraud.gates[1].units: ${why('sandbox', '80/20')}, units: users`,
    ]);
    // Stable's share counted as the split is, not 100 - 8.04 in floating point (91.96000000000001).
    expect(problemsOf(config('{ type: ab, split: "8.04%" }', [CONVERSION, SPLIT]))).toEqual([
      `${F}:11:9: models.fraud.gates[1].units: ${why('sandbox', '91.96/8.04')}, units: users`,
    ]);
    const prometheus = config('{ type: ab }', [
      '{ name: conversion, kind: conversion, conversions: \'sum(conv{slot="{{slot}}"})\', exposures: \'sum(exp{slot="{{slot}}"})\' }',
      SPLIT,
    ]).replace(
      'metrics: { type: sandbox, url: http://127.0.0.1:8080 }',
      'metrics: { type: prometheus, url: "http://127.0.0.1:9090" }',
    );
    expect(problemsOf(prometheus)).toEqual([
      `${F}:11:9: models.fraud.gates[1].units: ${why('sandbox', '50/50')}, e.g. units: '${PROMETHEUS_USERS}' (it needs a user label on the series; mind its cardinality, or count users where your events are logged)`,
    ]);
    const http = config('{ type: ab }', [CONVERSION, SPLIT]).replace(
      'target: { type: sandbox, url: http://127.0.0.1:8080 }',
      'target: { type: http, url: "http://127.0.0.1:8081", strategies: [ab] }',
    );
    expect(problemsOf(http)).toEqual([
      `${F}:11:9: models.fraud.gates[1].units: ${why('http', '50/50')}, units: users`,
    ]);
    expect(accepted(config('{ type: ab }', [CONVERSION, USER_SPLIT]))?.gates).toHaveLength(2);
  });

  it('refuses a sandbox conversion gate counting requests where the target splits users by a key, naming the field and the user counts', () => {
    const why = (written: string, target = 'sandbox') =>
      `counts requests (${written}), but this A/B's ${target} target splits users by x-user-id: a user's requests all land on one arm and convert alike, so they are not independent trials, and the test would fail a good candidate or call a winner by chance far more often than alpha; count users: exposures: exposed-users, conversions: converted-users`;
    expect(problemsOf(config('{ type: ab }', [USER_SPLIT, REQUEST_CONVERSION]))).toEqual([
      `${F}:11:9: models.fraud.gates[1].exposures: ${why('the default, exposures')}`,
    ]);
    const written = (fields: string) =>
      config('{ type: ab }', [`{ name: conversion, kind: conversion, ${fields} }`, USER_SPLIT]);
    expect(problemsOf(written('conversions: conversions, exposures: requests'))).toEqual([
      `${F}:10:84: models.fraud.gates[0].exposures: ${why('requests')}`,
    ]);
    expect(problemsOf(written('exposures: exposed-users'))).toEqual([
      `${F}:10:9: models.fraud.gates[0].conversions: ${why('the default, conversions')}`,
    ]);
    const http = config('{ type: ab }', [REQUEST_CONVERSION, USER_SPLIT]).replace(
      'target: { type: sandbox, url: http://127.0.0.1:8080 }',
      'target: { type: http, url: "http://127.0.0.1:8081", strategies: [ab] }',
    );
    expect(problemsOf(http)).toEqual([
      `${F}:10:9: models.fraud.gates[0].exposures: ${why('the default, exposures', 'http')}`,
    ]);
    expect(accepted(config('{ type: ab }', [CONVERSION, USER_SPLIT]))?.gates[0]).toMatchObject({
      conversions: 'converted-users',
      exposures: 'exposed-users',
    });
    // Users with requests are users too: those without feedback yet count as not converted.
    expect(accepted(written('conversions: converted-users, exposures: users'))?.gates).toHaveLength(2);
  });

  it('accepts a conversion gate counting requests where the target splits each request, or on a source whose queries it cannot read', () => {
    const sagemaker = config('{ type: ab }', [REQUEST_CONVERSION, SPLIT]).replace(
      'target: { type: sandbox, url: http://127.0.0.1:8080 }',
      'target: { type: sagemaker, endpoint: fraud-ep, region: eu-west-1 }',
    );
    expect(accepted(sagemaker)?.gates[0]).toMatchObject({
      conversions: 'conversions',
      exposures: 'exposures',
    });
    const prometheus = config('{ type: ab }', [
      '{ name: conversion, kind: conversion, conversions: \'sum(conv{slot="{{slot}}"})\', exposures: \'sum(exp{slot="{{slot}}"})\' }',
      `{ name: split, kind: srm, units: '${PROMETHEUS_USERS}' }`,
    ]).replace(
      'metrics: { type: sandbox, url: http://127.0.0.1:8080 }',
      'metrics: { type: prometheus, url: "http://127.0.0.1:9090" }',
    );
    expect(accepted(prometheus)?.gates).toHaveLength(2);
  });

  it('accepts an srm gate counting requests where the target splits each request (the randomised unit)', () => {
    const sagemaker = config('{ type: ab }', [CONVERSION, SPLIT]).replace(
      'target: { type: sandbox, url: http://127.0.0.1:8080 }',
      'target: { type: sagemaker, endpoint: fraud-ep, region: eu-west-1 }',
    );
    expect(accepted(sagemaker)?.gates.map((g) => g.kind)).toEqual(['conversion', 'srm']);
  });
});

describe('a first phase at 100% of live traffic with gates that compare with stable traffic', () => {
  const howElse = 'or for an all-at-once switch use type: blue-green with threshold gates';

  it('is refused for a canary, naming the step, the gates and what to do', () => {
    expect(problemsOf(config('{ type: canary, steps: [100] }', [ERRORS, THRESHOLD, SPLIT]))).toEqual([
      `${F}:8:39: models.fraud.strategy.steps[0]: the first step gives the candidate all live traffic, so the gates errors (ratio), split (srm) in models.fraud.gates would have no stable traffic to compare it with, and no earlier phase to judge them in; start with a smaller step, e.g. steps: [10, 100], ${howElse}`,
    ]);
    // Inherited from defaults: the field is there, the gates are the model's.
    expect(problemsOf(config('', [ERRORS], '  strategy: { type: canary, steps: ["100%"] }\n'))).toEqual([
      `${F}:5:37: defaults.strategy.steps[0]: the first step gives the candidate all live traffic, so the gate errors (ratio) in models.fraud.gates would have no stable traffic to compare it with, and no earlier phase to judge them in; start with a smaller step, e.g. steps: [10, 100], ${howElse}`,
    ]);
  });

  it('is refused for a linear step-size of 100 and a rolling batch of every instance', () => {
    expect(problemsOf(config('{ type: linear, step-size: 100, max-weight: 100 }', [ERRORS]))).toEqual([
      `${F}:8:42: models.fraud.strategy.step-size: a step-size of 100 gives the candidate all live traffic, so the gate errors (ratio) in models.fraud.gates would have no stable traffic to compare it with, and no earlier phase to judge them in; use a smaller step-size, e.g. step-size: 25 with max-weight: 100, ${howElse}`,
    ]);
    expect(problemsOf(config('{ type: rolling, instances: 2, batch-size: 2 }', [ERRORS]))).toEqual([
      `${F}:8:58: models.fraud.strategy.batch-size: replacing all 2 instances in the first batch gives the candidate all live traffic, so the gate errors (ratio) in models.fraud.gates would have no stable traffic to compare it with, and no earlier phase to judge them in; use a batch-size below 2, ${howElse}`,
    ]);
    // One instance: no batch-size is below it, so the advice is more instances.
    expect(problemsOf(config('{ type: rolling, instances: 1 }', [ERRORS]))).toEqual([
      `${F}:8:43: models.fraud.strategy.instances: replacing the only instance in the first batch gives the candidate all live traffic, so the gate errors (ratio) in models.fraud.gates would have no stable traffic to compare it with, and no earlier phase to judge them in; raise instances to 2 or more with batch-size: 1, ${howElse}`,
    ]);
  });

  it('is accepted with threshold gates only, and when an earlier phase judges the others', () => {
    expect(accepted(config('{ type: canary, steps: [100] }', [THRESHOLD]))?.strategy).toMatchObject({
      steps: [100],
    });
    expect(accepted(config('{ type: canary, steps: [10, 100] }', [ERRORS]))?.gates).toHaveLength(1);
    expect(accepted(config('{ type: rolling, instances: 4, batch-size: 2 }', [ERRORS]))?.gates).toHaveLength(
      1,
    );
  });
});

describe('gates the strategy gives no data to', () => {
  it('refuses a split check on a shadow, which splits no live traffic', () => {
    expect(problemsOf(config('{ type: shadow, share: 50 }', [ERRORS, SPLIT]))).toEqual([
      `${F}:11:30: models.fraud.gates[1].kind: an srm gate checks the candidate's share of live traffic, but a shadow gives it none (its answers reach no caller), so it could never judge and the release would fail at its deadline; remove it`,
    ]);
  });

  it('refuses an agreement gate outside a shadow, and accepts it in one', () => {
    const agree = '{ name: agree, kind: agreement }';
    expect(problemsOf(config('{ type: canary, steps: [10, 50] }', [agree]))).toEqual([
      `${F}:10:30: models.fraud.gates[0].kind: an agreement gate compares the candidate's answers with stable's to the same requests, which only a shadow gives both (the canary strategy sends each request to one version), so it could never judge and the release would fail at its deadline; use type: shadow, or a threshold or ratio gate`,
    ]);
    expect(problemsOf(config('{ type: blue-green }', [agree]))[0]).toContain(
      'models.fraud.gates[0].kind: an agreement gate compares',
    );
    expect(accepted(config('{ type: shadow, share: 50 }', [agree]))?.gates).toHaveLength(1);
  });

  it('refuses a conversion gate on a shadow, whose answers reach no caller to convert', () => {
    expect(problemsOf(config('{ type: shadow, share: 50 }', [ERRORS, CONVERSION]))).toEqual([
      `${F}:11:35: models.fraud.gates[1].kind: a conversion gate compares a business outcome of the callers each arm answered, but a shadow's answers reach no caller, so the candidate has no conversions or exposures and the gate could never judge: the release would fail at its deadline; to compare a business outcome use type: ab, or remove it`,
    ]);
  });

  it("refuses a threshold gate on the sandbox's agreement query outside a shadow, and accepts it in one", () => {
    const agree = '{ name: agree, kind: threshold, query: agreement, min: 0.95 }';
    expect(problemsOf(config('{ type: canary, steps: [10, 50] }', [ERRORS, agree]))).toEqual([
      `${F}:11:48: models.fraud.gates[1].query: the sandbox's agreement query compares the candidate's answers with stable's to the same requests, which only a shadow gives both (the canary strategy sends each request to one version), so it could never judge and the release would fail at its deadline; use type: shadow, or another query such as error-rate`,
    ]);
    expect(accepted(config('{ type: shadow, share: 50 }', [agree]))?.gates).toHaveLength(1);
    // On another source the query is the user's own series, which may well exist for a canary.
    const prometheus = config('{ type: canary, steps: [10, 50] }', [agree]).replace(
      'metrics: { type: sandbox, url: http://127.0.0.1:8080 }',
      'metrics: { type: prometheus, url: "http://127.0.0.1:9090" }',
    );
    expect(accepted(prometheus)?.gates).toHaveLength(1);
  });
});
