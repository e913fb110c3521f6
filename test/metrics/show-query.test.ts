import { describe, expect, it } from 'vitest';
import { noNumber } from '../../src/metrics/matched-nothing.js';

// A gate's note quotes its query, and notes go to the PR comment and the ledger: an http-json
// query's URL may carry an API key in its query string or credentials before its host.
describe("a look's note quoting an http-json query", () => {
  const arm = { slot: 'canary' as const, version: 'v2' };

  it('leaves out the query string and credentials of its URL, keeping its path templates and selector', () => {
    const note = noNumber(
      'https://svc:pa55w0rd@grafana.example/{{model}}/rate?api_key=gr4fana-sa-0123&slot={{slot}}#data.error_rate',
      arm,
    );
    expect(note).toBe(
      'the query gave no number for the canary slot (version v2): "https://grafana.example/{{model}}/rate?…#data.error_rate"',
    );
  });

  it('quotes other queries as written', () => {
    expect(noNumber('sum(rate(errors{slot="{{slot}}"}[5m]))', arm)).toBe(
      'the query gave no number for the canary slot (version v2): "sum(rate(errors{slot=\\"{{slot}}\\"}[5m]))"',
    );
  });
});
