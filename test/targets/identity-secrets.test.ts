import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { secretValues } from '../../src/config/secret-values.js';
import type { ModelConfig } from '../../src/config/types.js';
import { addSecret, redactNotes } from '../../src/core/redact.js';
import { targetFor } from '../../src/release/adapters.js';
import { checkSameTarget } from '../../src/release/deployed-target.js';
import type { Release } from '../../src/release/types.js';
import { digest } from '../../src/targets/identity.js';
import { deployedOn } from '../support/deployed-on.js';

// A secret a config puts into a field that addresses its target (a gateway's key in a URL's path,
// a function key in its query, a token in a command's argument): a rotation between two runs is
// the same target, and the record of the target, which goes to a PR comment, never holds the
// secret. Before, the record held it as written, a rotated key read as a move to another target,
// and the refusal printed the old key. Each target is built by the real adapters from a config,
// its secrets registered as a run registers them (secretValues). Every key is used by one test
// alone: the registered secrets are this process's, as in a run.

/** The model `fraud` on the target `target` (a flow map), `env` interpolated; `register`: its secrets registered as a run does. */
function modelWith(target: string, env: Record<string, string>, register = true): ModelConfig {
  const text = `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: ${target}
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;
  const loaded = parseConfig(text, env);
  if (register) for (const value of secretValues(loaded.interpolated, env).values) addSecret(value);
  return loaded.config.models.fraud as ModelConfig;
}

/** What a run under `model` says of `release`; undefined: it acts on it. */
function refusal(release: Release, model: ModelConfig): string | undefined {
  try {
    checkSameTarget(release, targetFor(model));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const GATEWAY = `{ type: http, url: "\${SERVING_URL}/gw/\${SERVING_TOKEN}/models/fraud-detector" }`;

describe('a secret in a field that addresses the target, rotated between two runs', () => {
  it.each([
    ["a gateway's key in an http URL's path", GATEWAY, 'SERVING_TOKEN'],
    [
      "a function key in an http URL's query",
      `{ type: http, url: "https://fn.example.com/api/traffic?code=\${FUNCTION_KEY}&region=eu" }`,
      'FUNCTION_KEY',
    ],
    [
      "a bearer token in a command's argument",
      `{ type: command, apply: [curl, -H, "Authorization: Bearer \${DEPLOY_TOKEN}", "https://ops/apply"], read: [curl, "https://ops/state"] }`,
      'DEPLOY_TOKEN',
    ],
    [
      "a sandbox URL's path",
      `{ type: sandbox, url: "http://127.0.0.1:9/\${SANDBOX_SECRET}", model: fraud }`,
      'SANDBOX_SECRET',
    ],
  ])('%s: the same target, and no record holds the secret', (name, target, variable) => {
    const [before, after] = [
      `${variable.toLowerCase()}-before-${name.length}`,
      `rotated-${name.length}-after`,
    ];
    const env = (secret: string) => ({ SERVING_URL: 'https://gateway.example.com', [variable]: secret });
    const recorded = deployedOn(modelWith(target, env(before)));
    expect(JSON.stringify(recorded)).not.toContain(before);
    expect(refusal(recorded, modelWith(target, env(after)))).toBeUndefined();
  });

  it('a whole URL from a secret-named variable: never stored; another path behind its host is a move', () => {
    const target = `{ type: http, url: "\${SERVING_URL_WITH_TOKEN}" }`;
    const url = (path: string) => ({ SERVING_URL_WITH_TOKEN: `https://gw.example.com/${path}/fraud` });
    const recorded = deployedOn(modelWith(target, url('cluster-a/k/whole_url_key_before_77')));
    expect(JSON.stringify(recorded)).not.toContain('whole_url_key_before_77');
    expect(refusal(recorded, modelWith(target, url('cluster-a/k/whole_url_key_before_77')))).toBeUndefined();
    // The key cannot be told from the path around it: a rotation of it reads as a move too, as safe.
    const moved = refusal(recorded, modelWith(target, url('cluster-b/k/whole_url_key_after_88')));
    expect(moved).toContain('leaves it alone');
    expect(moved).not.toContain('whole_url_key');
  });

  it('a real move (another host) with the key rotated is still refused, the message showing no key', () => {
    const then = { SERVING_URL: 'https://gateway-eu.example.com', SERVING_TOKEN: 'tok_move_before_5a4b3c' };
    const now = { SERVING_URL: 'https://gateway-us.example.com', SERVING_TOKEN: 'tok_move_after_6d7e8f' };
    const said = refusal(deployedOn(modelWith(GATEWAY, then)), modelWith(GATEWAY, now));
    expect(said).toContain(
      'was deployed on serving layer at https://gateway-eu.example.com/gw/***/models/fraud-detector',
    );
    expect(said).toContain("this run's config names serving layer at https://gateway-us.example.com/gw/***/");
    expect(said).not.toContain('tok_move_');
  });
});

// A plain field that picks the platform (a subscription, a project, a context) read from a
// variable named like a secret is the platform itself, not a key to it. Before, it was masked:
// staging's subscription and production's both read `***`, and a merge job on production promoted
// a candidate analysed on staging. Now it is kept as a digest of its text.
describe('a field that picks the platform, from a secret-named variable', () => {
  it.each([
    [
      'a kserve context',
      `{ type: kserve, namespace: ml, context: "\${KUBE_CONTEXT_TOKEN}", storage-uri: "gs://m/{{version}}" }`,
      'KUBE_CONTEXT_TOKEN',
      'context',
    ],
    [
      'a seldon context',
      `{ type: seldon, namespace: ml, context: "\${SELDON_CONTEXT_TOKEN}" }`,
      'SELDON_CONTEXT_TOKEN',
      'context',
    ],
    [
      'a sagemaker profile',
      `{ type: sagemaker, endpoint: fraud, region: eu-west-1, profile: "\${AWS_PROFILE_SECRET}" }`,
      'AWS_PROFILE_SECRET',
      'profile',
    ],
    [
      'an azureml subscription',
      `{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws, subscription: "\${AZURE_SUBSCRIPTION_SECRET}" }`,
      'AZURE_SUBSCRIPTION_SECRET',
      'subscription',
    ],
    [
      'a vertex project',
      `{ type: vertex, endpoint: "42", region: europe-west4, project: "\${GCP_PROJECT_SECRET}" }`,
      'GCP_PROJECT_SECRET',
      'project',
    ],
  ])(
    '%s: the same value is the same target, another is refused; no record or message holds it',
    (name, target, variable, field) => {
      const [staging, production] = [`staging-${name.length}-${field}`, `production-${name.length}-${field}`];
      const recorded = deployedOn(modelWith(target, { [variable]: staging }));
      expect(JSON.stringify(recorded)).not.toContain(staging);
      expect(refusal(recorded, modelWith(target, { [variable]: staging }))).toBeUndefined();
      const said = refusal(recorded, modelWith(target, { [variable]: production }));
      expect(said).toContain(`was deployed on`);
      expect(said).toMatch(
        new RegExp(` with ${field} sha256:[0-9a-f]+, but this run's config names .* with ${field} sha256:`),
      );
      expect(said).not.toContain(staging);
      expect(said).not.toContain(production);
    },
  );

  it('a digest stored by a run that took the value for a secret, read by one that does not (variable renamed): the same target', () => {
    const target = `{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws, subscription: "\${AZURE_SUBSCRIPTION_ID}" }`;
    const model = modelWith(target, { AZURE_SUBSCRIPTION_ID: 'sub-renamed-4d4d' });
    // The registered secrets are this process's: the earlier run's record is written out as it stored it.
    const release = deployedOn(model);
    const recorded = release.target;
    if (!recorded) throw new Error('no target recorded');
    const stored = {
      ...recorded,
      identity: { ...recorded.identity, subscription: digest(['sub-renamed-4d4d']) },
    };
    expect(refusal({ ...release, target: stored }, model)).toBeUndefined();
    const other = {
      ...recorded,
      identity: { ...recorded.identity, subscription: digest(['sub-other-5e5e']) },
    };
    expect(refusal({ ...release, target: other }, model)).toContain('with subscription sha256:');
  });
});

describe('a record stored while a secret in a plain field was masked (`***`), after the upgrade', () => {
  /** `release` as the version before digests stored it: `field` masked where the secret stood. */
  const maskedThen = (release: Release, field: string, masked: string): Release => {
    const recorded = release.target;
    if (!recorded) throw new Error('no target recorded');
    return { ...release, target: { ...recorded, identity: { ...recorded.identity, [field]: masked } } };
  };

  it.each([
    ['the whole context', '', '***'],
    ['a context that holds the secret', '-eu', '***-eu'],
  ])('%s, the same value as then: the same target, not a move', (_, suffix, masked) => {
    const kserve = `{ type: kserve, namespace: ml, context: "\${KUBE_CONTEXT_TOKEN}${suffix}", storage-uri: "gs://m/{{version}}" }`;
    const model = modelWith(kserve, { KUBE_CONTEXT_TOKEN: `ctx_masked_then_${suffix.length}c3` });
    expect(refusal(maskedThen(deployedOn(model), 'context', masked), model)).toBeUndefined();
  });

  it('a digest on record is shown as recorded in a refusal, not a digest of it', () => {
    const azure = `{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws, subscription: "\${AZURE_SUBSCRIPTION_SECRET}" }`;
    const recorded = deployedOn(modelWith(azure, { AZURE_SUBSCRIPTION_SECRET: 'sub-shown-as-recorded-7a' }));
    const stored = recorded.target?.identity.subscription;
    expect(stored).toMatch(/^sha256:/);
    const said = refusal(recorded, modelWith(azure, { AZURE_SUBSCRIPTION_SECRET: 'sub-shown-elsewhere-8b' }));
    expect(said).toContain(`with subscription ${stored}, but this run's config names`);
  });
});

describe('a record stored before identities were masked (its secret in plain text), after the upgrade', () => {
  /** The record as an earlier version stored it: the run masked the description, not the identity. */
  function legacyRecord(target: string, env: Record<string, string>, secret: string): Release {
    const release = deployedOn(modelWith(target, env, false));
    const recorded = release.target;
    if (!recorded) throw new Error('no target recorded');
    return {
      ...release,
      target: { ...recorded, description: recorded.description.replaceAll(secret, '***') },
    };
  }

  it.each([
    ['the same key', 'tok_legacy_same_11aa22', 'tok_legacy_same_11aa22'],
    ['a key rotated since', 'tok_legacy_old_33bb44', 'tok_legacy_new_55cc66'],
  ])('a gateway key in the URL, %s: the same target', (_, then, now) => {
    const env = (key: string) => ({ SERVING_URL: 'https://gateway.example.com', SERVING_TOKEN: key });
    const recorded = legacyRecord(GATEWAY, env(then), then);
    expect(JSON.stringify(recorded.target)).toContain(then);
    expect(refusal(recorded, modelWith(GATEWAY, env(now)))).toBeUndefined();
  });

  it("a token in a command's argument, not rotated: the same target (its digest as before)", () => {
    const command = `{ type: command, apply: [curl, -H, "Authorization: Bearer \${DEPLOY_TOKEN}", "https://ops/apply"], read: [curl, "https://ops/state"] }`;
    const env = { DEPLOY_TOKEN: 'tok_legacy_command_77dd88' };
    expect(refusal(legacyRecord(command, env, env.DEPLOY_TOKEN), modelWith(command, env))).toBeUndefined();
  });

  it('a real move in a field the description does not show: refused, neither key shown', () => {
    const kserve = (cluster: string) =>
      `{ type: kserve, namespace: ml, context: "\${KUBE_CONTEXT_TOKEN}-${cluster}", storage-uri: "gs://m/{{version}}" }`;
    const recorded = legacyRecord(
      kserve('eu'),
      { KUBE_CONTEXT_TOKEN: 'ctx_legacy_old_99ee00' },
      'ctx_legacy_old_99ee00',
    );
    const said = refusal(recorded, modelWith(kserve('us'), { KUBE_CONTEXT_TOKEN: 'ctx_legacy_new_12ff34' }));
    expect(said).toContain(
      "fraud: PR #7's candidate v2 was deployed on KServe InferenceService fraud (namespace ml) with context sha256:",
    );
    expect(said).toContain(
      "this run's config names KServe InferenceService fraud (namespace ml) with context sha256:",
    );
    expect(said).not.toContain('ctx_legacy');
  });

  it('a context from a secret, the same value as then: the same target', () => {
    const kserve = `{ type: kserve, namespace: ml, context: "\${KUBE_CONTEXT_TOKEN}", storage-uri: "gs://m/{{version}}" }`;
    const env = { KUBE_CONTEXT_TOKEN: 'ctx_legacy_same_56ab78' };
    expect(
      refusal(legacyRecord(kserve, env, env.KUBE_CONTEXT_TOKEN), modelWith(kserve, env)),
    ).toBeUndefined();
  });
});

it('masks a key an older record still holds in its identity the next time the record is stored', () => {
  addSecret('tok_older_record_5e7a');
  const older: Release['target'] = {
    description: 'serving layer at http://gw.example/gw/***/m',
    identity: { type: 'http', url: 'http://gw.example/gw/tok_older_record_5e7a/m' },
  };
  expect(redactNotes({ target: older }).target?.identity).toEqual({
    type: 'http',
    url: 'http://gw.example/gw/***/m',
  });
});

describe('a move to another host, a secret in the URL', () => {
  it('is refused when one secret holds the whole URL (its user:password)', () => {
    const target = `{ type: http, url: "\${SERVING_URL}" }`;
    const at = (host: string) => ({ SERVING_URL: `http://deployer:pw_whole_url_51c@${host}/models/fraud` });
    const recorded = deployedOn(modelWith(target, at('cluster-a.example.com')));
    expect(JSON.stringify(recorded)).not.toContain('pw_whole_url_51c');
    expect(refusal(recorded, modelWith(target, at('cluster-b.example.com')))).toContain('leaves it alone');
    expect(refusal(recorded, modelWith(target, at('cluster-a.example.com')))).toBeUndefined();
  });

  it('is refused when a secret is part of the host, which no record shows', () => {
    const target = `{ type: http, url: "https://gw.\${TENANT_SECRET}.example/eu/models/fraud" }`;
    const recorded = deployedOn(modelWith(target, { TENANT_SECRET: 'tenant_a_secret_9d' }));
    expect(JSON.stringify(recorded)).not.toContain('tenant_a_secret_9d');
    expect(refusal(recorded, modelWith(target, { TENANT_SECRET: 'tenant_b_secret_9e' }))).toContain(
      'leaves it alone',
    );
  });
});
