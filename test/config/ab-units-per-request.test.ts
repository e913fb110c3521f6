import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { perRequestUnitsWarnings } from '../../src/config/strategy-gates.js';
import { runCli } from '../support/cli-process.js';

// On a platform that picks an arm for each request, most active users reach both arms: an srm gate
// counting distinct users (`units`) then reads the candidate's share far above the split (16% of
// users at a correct 90/10) and rolls back good A/Bs. Warned, not refused: callers who pin each
// user to one arm make units right.

const USERS = 'count(count by (user_id) (increase(requests_total{slot="{{slot}}"}[{{window}}]) > 0))';

/** One A/B model `fraud` on `target` (flow YAML), its srm gate with or without units. */
const yaml = (target: string, units = true) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: ${target}
    metrics: { type: prometheus, url: "http://prom:9090" }
    strategy: { type: ab, split: 10 }
    gates:
      - { name: conversion, kind: conversion, conversions: 'conv{slot="{{slot}}"}', exposures: 'exp{slot="{{slot}}"}' }
      - { name: split, kind: srm${units ? `, units: '${USERS}'` : ''} }
`;
const config = (target: string, units = true) => parseConfig(yaml(target, units), {}).config;

const SAGEMAKER = '{ type: sagemaker, endpoint: fraud-endpoint, region: us-east-1 }';
const PER_REQUEST = {
  sagemaker: SAGEMAKER,
  azureml: '{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws }',
  vertex: '{ type: vertex, endpoint: "42", region: europe-west4, project: prod }',
  seldon: '{ type: seldon, namespace: seldon }',
};

describe('an srm gate counting users on an A/B whose target splits each request', () => {
  it('is accepted with a warning naming the field, why the share of users misleads, and what to do', () => {
    expect(perRequestUnitsWarnings(config(SAGEMAKER))).toEqual([
      "models.fraud.gates[1].units: counts users, but the sagemaker target picks an arm for each request, not for each user by x-user-id: an active user reaches both arms, so the candidate's share of users reads well above 10% and the gate would roll back a correct split; remove units to check the split of requests, or keep it only if your callers pin each user to one arm (to keep a user on one arm, send the user's requests with InvokeEndpoint's TargetVariant set to that arm's production variant)",
    ]);
  });

  it.each(Object.entries(PER_REQUEST))(
    'is warned of on %s, with how its callers pin a user',
    (type, target) => {
      const [warning, ...more] = perRequestUnitsWarnings(config(target));
      expect(more).toEqual([]);
      expect(warning).toMatch(
        new RegExp(
          `^models\\.fraud\\.gates\\[1\\]\\.units: .* the ${type} target picks an arm for each request`,
        ),
      );
      const pin = {
        sagemaker: 'TargetVariant',
        azureml: 'azureml-model-deployment',
        vertex: 'Vertex AI cannot keep a user on one arm',
        seldon: 'x-seldon-route',
      }[type];
      expect(warning).toContain(pin);
    },
  );

  it('is not warned of where the target splits users by the sticky header, or without units', () => {
    expect(
      perRequestUnitsWarnings(config('{ type: http, url: "http://127.0.0.1:8081", strategies: [ab] }')),
    ).toEqual([]);
    expect(perRequestUnitsWarnings(config(SAGEMAKER, false))).toEqual([]);
  });

  it('is warned of only for the models asked about, as the action asks for the ones it released', () => {
    expect(perRequestUnitsWarnings(config(SAGEMAKER), [])).toEqual([]);
  });
});

describe('validate on the command line', () => {
  it('says the config is valid (exit 0) and warns once, naming the units field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ab-units-'));
    try {
      await writeFile(join(dir, 'model-gate.yml'), yaml(SAGEMAKER));
      const run = await runCli(dir, ['validate', 'model-gate.yml']);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('✓ model-gate.yml: 1 model (fraud)\n');
      expect(run.stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(
          /^warning: model-gate\.yml: models\.fraud\.gates\[1\]\.units: counts users, but the sagemaker target picks an arm for each request/,
        ),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
