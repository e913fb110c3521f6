import { describe, expect, it, vi } from 'vitest';
import { maskSecrets, secretsToMask } from '../../src/action/secrets.js';
import { parseConfig } from '../../src/config/load.js';
import { secretValues, tooShortToMask } from '../../src/config/secret-values.js';
import { MetricsError, TargetError } from '../../src/core/errors.js';

const CONFIG = `version: 1
defaults:
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    target:
      type: command
      apply: [deploy, "--password=\${CMD_PASS}", "--region=\${REGION}", "{{candidate}}", "{{weight}}"]
      read: [state, "\${STATE_URL}"]
    gates:
      - { name: approval, kind: webhook, url: "https://hooks.example/check", headers: { Authorization: "Bearer \${HOOK_TOKEN}" } }
`;

/** fraud on `target` (a YAML flow map) with `gates` (one flow map each), its metrics on the sandbox. */
const fraudWith = (target: string, gates: string[]) => `version: 1
defaults:
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    target: ${target}
    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;

describe('what the action masks in the log', () => {
  it('secret fields whole, and a secret-named variable wherever the config puts it, but not the rest', () => {
    const env = {
      SANDBOX_URL: 'http://127.0.0.1:8080',
      HOOK_TOKEN: 'hook-0123',
      CMD_PASS: 'CMDPASS_s3cr3t',
      REGION: 'eu-west-1',
      STATE_URL: 'https://state.example/fraud',
    };
    const { interpolated } = parseConfig(CONFIG, env);
    expect(secretsToMask(interpolated, env).sort()).toEqual([
      'Bearer hook-0123',
      'CMDPASS_s3cr3t',
      'hook-0123',
    ]);
  });
});

describe('what the action masks whatever the variable is named', () => {
  const withGate = (gate: string) => `version: 1
defaults:
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates:
      - ${gate}
`;
  const masked = (gate: string, env: Record<string, string>) => {
    const all = { SANDBOX_URL: 'http://127.0.0.1:8080', ...env };
    return secretsToMask(parseConfig(withGate(gate), all).interpolated, all).sort();
  };

  it('a bearer token in a header named like a secret, bare as well as the whole value', () => {
    const gate = `{ name: a, kind: webhook, url: "https://hooks.example/a", headers: { Authorization: "Bearer \${SERVING_JWT}" } }`;
    expect(masked(gate, { SERVING_JWT: 'eyJ0eXAi.c2lnbmVk' })).toEqual([
      'Bearer eyJ0eXAi.c2lnbmVk',
      'eyJ0eXAi.c2lnbmVk',
    ]);
  });

  // Each with the base64 `user:password` of the Authorization: Basic it is sent as, which a service
  // answering 401 may quote back.
  it("a URL's password, or a token standing for its user, not the user name beside a password", () => {
    const url = (u: string) => `{ name: a, kind: webhook, url: "${u}" }`;
    expect(
      masked(url(`https://grafana:\${GRAFANA_GLC}@hooks.example/a`), { GRAFANA_GLC: 'glc_0123456789' }),
    ).toEqual(['Z3JhZmFuYTpnbGNfMDEyMzQ1Njc4OQ==', 'glc_0123456789']);
    expect(masked(url(`https://\${GIT_PAT}@hooks.example/a`), { GIT_PAT: 'github_pat_11AB' })).toEqual([
      'Z2l0aHViX3BhdF8xMUFCOg==',
      'github_pat_11AB',
    ]);
    expect(
      masked(url(`https://\${HOOK_USER}:\${HOOK_PW}@hooks.example/a`), {
        HOOK_USER: 'deployer',
        HOOK_PW: 'pw-0123',
      }),
    ).toEqual(['ZGVwbG95ZXI6cHctMDEyMw==', 'pw-0123']);
    // A whole URL from one variable: its password, and the URL that holds it.
    expect(masked(url(`\${HOOK_URL}`), { HOOK_URL: 'https://u:pw-0123@hooks.example/a' })).toEqual([
      'dTpwdy0wMTIz',
      'https://u:pw-0123@hooks.example/a',
      'pw-0123',
    ]);
    // Percent-encoded in the URL, decoded in the Authorization: Basic the server receives and may quote.
    expect(
      masked(url(`https://grafana:\${GRAFANA_GLC}@hooks.example/a`), { GRAFANA_GLC: 'glc%2Fabc-123' }),
    ).toEqual(['Z3JhZmFuYTpnbGMvYWJjLTEyMw==', 'glc%2Fabc-123', 'glc/abc-123']);
    // An API key as the user name, its password empty (as Stripe's): the key, and its Basic form.
    expect(masked(url(`https://\${PROM_KEY}:@hooks.example/a`), { PROM_KEY: 'sk_live_0123456789' })).toEqual([
      'c2tfbGl2ZV8wMTIzNDU2Nzg5Og==',
      'sk_live_0123456789',
    ]);
    // A host from the environment is no credential (a lone user name written in the file is
    // refused as a token: literal-url-secrets.test.ts).
    expect(masked(url(`https://\${HOOK_HOST}/a`), { HOOK_HOST: 'deploy.hooks.example' })).toEqual([]);
  });
});

describe('what the action does not mask', () => {
  it('a header too short to be a credential, unless it is named like one', () => {
    const env = {
      TENANT: 'prod',
      LONG_TENANT: 'tenant-0123456789',
      HOOK: 'abcd',
      SANDBOX_URL: 'http://127.0.0.1:8080',
    };
    const config = fraudWith(`{ type: sandbox, url: "\${SANDBOX_URL}" }`, [
      `{ name: a, kind: webhook, url: "https://hooks.example/a", headers: { X-Scope-OrgID: "\${TENANT}", X-Tenant: "\${LONG_TENANT}", X-Auth: "\${HOOK}" } }`,
    ]);
    const { interpolated } = parseConfig(config, env);
    // "prod" would hide every "prod" in the log; a 17-character one may well be a credential.
    expect(secretsToMask(interpolated, env).sort()).toEqual(['abcd', 'tenant-0123456789']);
  });

  it("a webhook's path and query, from a variable not named like a secret: masked; a host-only variable is not", () => {
    const env = {
      APPROVAL_WEBHOOK_URL: 'https://hooks.example/services/T0/B0123/XyZsecretPath123abc?x=1',
      HOOK_HOST: 'hooks.example',
      SANDBOX_URL: 'http://127.0.0.1:8080',
    };
    const config = fraudWith(`{ type: sandbox, url: "\${SANDBOX_URL}" }`, [
      `{ name: a, kind: webhook, url: "\${APPROVAL_WEBHOOK_URL}" }`,
      `{ name: b, kind: webhook, url: "https://\${HOOK_HOST}/check" }`,
    ]);
    const { interpolated } = parseConfig(config, env);
    expect(secretsToMask(interpolated, env)).toEqual(['/services/T0/B0123/XyZsecretPath123abc?x=1']);
  });

  it('a secret under 4 characters, wherever it is: it is named in a warning instead, never shown', () => {
    const env = { TENANT_KEY: '10', HOOK: 'abc', SANDBOX_URL: 'http://127.0.0.1:8080' };
    const config = fraudWith(`{ type: command, apply: [deploy, "--tenant=\${TENANT_KEY}"], read: [state] }`, [
      `{ name: a, kind: webhook, url: "https://hooks.example/a", headers: { X-Auth: "\${HOOK}", X-Tenant-Key: "\${TENANT_KEY}" } }`,
    ]);
    const found = secretValues(parseConfig(config, env).interpolated, env);
    expect(found.values).toEqual([]);
    expect(found.tooShort).toEqual([
      { variable: 'TENANT_KEY', path: 'models.fraud.target.apply[1]' },
      { variable: 'HOOK', path: 'models.fraud.gates[0].headers.X-Auth' },
    ]);
    const warning = tooShortToMask(found.tooShort[0] as (typeof found.tooShort)[number]);
    expect(warning).toMatch(
      /^TENANT_KEY \(in models\.fraud\.target\.apply\[1\]\) is not masked: its value is shorter than 4 characters/,
    );
    expect(warning).not.toContain('10');
  });

  it('the fields of a model whose name only looks secret (token-classifier): its namespace is no secret', () => {
    const env = { NS: 'ml', SANDBOX_URL: 'http://127.0.0.1:8080' };
    const config = `version: 1
models:
  token-classifier:
    source: { file: models/tc.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    target: { type: kserve, namespace: "\${NS}", storage-uri: "gs://models/{{version}}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
    const { interpolated } = parseConfig(config, env);
    // Masked, "ml" would turn every "yaml" in a message into "ya***".
    expect(secretsToMask(interpolated, env)).toEqual([]);
  });
});

describe('what the action keeps out of PR comments and commit statuses', () => {
  it('masks each secret in the log and replaces it with *** in every message model-gate makes', () => {
    const log: string[] = [];
    const write = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((text) => log.push(String(text).trim()) > 0);
    try {
      maskSecrets([
        'CMDPASS_s3cr3t',
        'Bearer hook-0123',
        'hook-0123',
        '-----BEGIN KEY-----\nAbC9xYz\n-----END KEY-----',
        '',
      ]);
    } finally {
      write.mockRestore();
    }
    expect(log).toEqual([
      '::add-mask::CMDPASS_s3cr3t',
      '::add-mask::Bearer hook-0123',
      '::add-mask::hook-0123',
      '::add-mask::-----BEGIN KEY-----%0AAbC9xYz%0A-----END KEY-----',
    ]);
    // As a failing command's stderr excerpt shows them (`set -x`, `curl -v`): the last lines joined by " | ".
    const stderr = '+ deploy --password=CMDPASS_s3cr3t | > Authorization: Bearer hook-0123 | AbC9xYz';
    expect(new TargetError(`the apply command \`deploy\` failed (exit 1): ${stderr}`).message).toBe(
      'the apply command `deploy` failed (exit 1): + deploy --password=*** | > Authorization: *** | ***',
    );
    // And quoted in JSON, as a metric source's answer is.
    expect(
      new MetricsError(`prometheus answered ${JSON.stringify({ error: 'bad token "hook-0123"' })}`).message,
    ).toBe('prometheus answered {"error":"bad token \\"***\\""}');
  });
});
