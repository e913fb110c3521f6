import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { renderPromql } from '../../src/metrics/prometheus-source.js';
import { targetFor } from '../../src/release/adapters.js';
import { platformNameOf } from '../../src/targets/target.js';

// A metric query's {{name}} is the version as each example's target names it on its platform:
// its name template with the platform's character rule applied, or the version itself where the
// target names no version.

const ENV = {
  PROMETHEUS_URL: 'http://prometheus.internal:9090',
  DD_API_KEY: 'k',
  DD_APP_KEY: 'a',
  SERVING_TOKEN: 't',
};
const VERSION = 'V1.2_rc';
const NAMES = {
  sagemaker: 'fraud-V1-2-rc', // letters, digits and '-'
  azureml: 'fraud-v1-2-rc', // Azure lowercases deployment names
  seldon: 'fraud-detector-v1.2-rc', // a Kubernetes name: lowercase, '.' kept
  vertex: 'fraud-V1.2_rc', // a display name takes any character
  kserve: VERSION,
  http: VERSION,
  command: VERSION,
};

async function exampleTarget(platform: string) {
  const text = await readFile(new URL(`../../examples/${platform}/model-gate.yml`, import.meta.url), 'utf8');
  const { config } = parseConfig(text, ENV, `examples/${platform}/model-gate.yml`);
  const model = Object.values(config.models)[0];
  if (!model) throw new Error(`examples/${platform} has no model`);
  return targetFor(model);
}

describe.each(Object.entries(NAMES))('examples/%s', (platform, name) => {
  it(`names ${VERSION} ${name} in metric queries`, async () => {
    expect(platformNameOf(await exampleTarget(platform), VERSION)).toBe(name);
  });
});

it('a query on a target that names no version reads the version as written', () => {
  const window = { model: 'fraud', slot: 'canary' as const, version: 'v1.2', since: 0, until: 60_000 };
  expect(renderPromql('requests_total{deployment="{{name}}"}', window)).toBe(
    'requests_total{deployment="v1.2"}',
  );
  expect(renderPromql('requests_total{deployment="{{name}}"}', { ...window, name: 'fraud-v1-2' })).toBe(
    'requests_total{deployment="fraud-v1-2"}',
  );
});
