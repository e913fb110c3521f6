import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

// A misspelt sandbox count or histogram name used to pass validate, then fail at the first look
// with the candidate on live traffic (or leave a drift watch inconclusive at every tick): validate
// refuses each, naming the field, the value, the name it is likely to be and the known ones.
type Names = Record<'events' | 'total' | 'drift' | 'latency' | 'conversions' | 'units' | 'watch', string>;
const config = (names: Names) => `version: 1
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:9" }
    metrics: { type: sandbox, url: "http://127.0.0.1:9" }
    strategy: { type: ab, split: 50, step-duration: 1h }
    gates:
      - { name: errors, kind: ratio, events: ${names.events}, total: ${names.total}, max-increase: 10% }
      - { name: scores, kind: drift, buckets: ${names.drift} }
      - { name: p95, kind: latency, buckets: ${names.latency}, quantile: 0.95, max-increase: 10% }
      - { name: sales, kind: conversion, conversions: ${names.conversions}, exposures: exposed-users }
      - { name: split, kind: srm, units: ${names.units} }
    drift-watch: { buckets: ${names.watch} }
`;
const COUNTS =
  '(known: requests, errors, nulls, answered, conversions, exposures, users, exposed-users, converted-users, dropped, offered)';
const HISTOGRAMS = '(known: latency, scores)';

async function validate(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-sandbox-names-'));
  await writeFile(join(dir, 'model-gate.yml'), text);
  return runCli(dir, ['validate', 'model-gate.yml']);
}

describe('validate with a misspelt sandbox name', () => {
  it('refuses every count and histogram name the sandbox does not answer (exit 1), one line each', async () => {
    const run = await validate(
      config({
        events: 'erors',
        total: 'answerd',
        drift: 'score',
        latency: 'latncy',
        conversions: 'conversion',
        units: 'user',
        watch: 'score',
      }),
    );
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `model-gate.yml:9:46: models.fraud-detector.gates[0].events: unknown sandbox count query "erors", did you mean "errors"? ${COUNTS}`,
      `model-gate.yml:9:60: models.fraud-detector.gates[0].total: unknown sandbox count query "answerd", did you mean "answered"? ${COUNTS}`,
      `model-gate.yml:10:47: models.fraud-detector.gates[1].buckets: unknown sandbox histogram "score", did you mean "scores"? ${HISTOGRAMS}`,
      `model-gate.yml:11:46: models.fraud-detector.gates[2].buckets: unknown sandbox histogram "latncy", did you mean "latency"? ${HISTOGRAMS}`,
      `model-gate.yml:12:55: models.fraud-detector.gates[3].conversions: unknown sandbox count query "conversion", did you mean "conversions"? ${COUNTS}`,
      `model-gate.yml:13:42: models.fraud-detector.gates[4].units: unknown sandbox count query "user", did you mean "users"? ${COUNTS}`,
      `model-gate.yml:14:29: models.fraud-detector.drift-watch.buckets: unknown sandbox histogram "score", did you mean "scores"? ${HISTOGRAMS}`,
    ]);
    expect(run.code).toBe(1);
  });

  it('accepts the names the sandbox answers', async () => {
    const fixed = config({
      events: 'errors',
      total: 'answered',
      drift: 'scores',
      latency: 'latency',
      conversions: 'converted-users',
      units: 'users',
      watch: 'scores',
    });
    expect(await validate(fixed)).toEqual({
      code: 0,
      stdout: '✓ model-gate.yml: 1 model (fraud-detector)\n',
      stderr: '',
    });
  });
});
