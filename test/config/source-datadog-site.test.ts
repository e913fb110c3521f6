import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { problemsOf } from './sample.js';

// The address in the browser (app.datadoghq.eu) is no Datadog site: taken as one, the API was
// called at api.app.datadoghq.eu, which does not exist, and every look failed mid-release.

const ENV = { DD_API_KEY: 'k1', DD_APP_KEY: 'k2' };
const config = (site: string) => `version: 1
defaults:
  target: { type: sandbox, url: http://127.0.0.1:8080 }
  metrics: { type: datadog, site: ${site}, api-key: "\${DD_API_KEY}", application-key: "\${DD_APP_KEY}", requests: "sum:r{slot:{{slot}}}.as_count()" }
models:
  fraud:
    source: { file: models/fraud/model.yaml, key: version }
    strategy: { type: canary, steps: [10] }
    gates: []
`;

describe('a Datadog site written as the address of the web app or the API', () => {
  it('is refused, saying to drop "app." or "api."', () => {
    expect(problemsOf(config('app.datadoghq.eu'), ENV)).toEqual([
      `.github/model-gate.yml:4:35: defaults.metrics.site: "app.datadoghq.eu" is the address of Datadog's web app, not its site: the API is read at api.<site>, so write site: datadoghq.eu (drop "app.")`,
    ]);
    expect(problemsOf(config('api.us5.datadoghq.com'), ENV)).toEqual([
      expect.stringContaining('write site: us5.datadoghq.com (drop "api.")'),
    ]);
  });

  it('is read at api.<site> when written as the site', () => {
    const model = parseConfig(config('datadoghq.eu'), ENV).config.models.fraud;
    expect(model?.metrics).toMatchObject({ url: 'https://api.datadoghq.eu' });
  });
});
