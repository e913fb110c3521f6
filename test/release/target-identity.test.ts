import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { secretValues } from '../../src/config/secret-values.js';
import type { ModelConfig } from '../../src/config/types.js';
import { addSecret } from '../../src/core/redact.js';
import { targetFor } from '../../src/release/adapters.js';
import { checkSameTarget } from '../../src/release/deployed-target.js';
import type { Release } from '../../src/release/types.js';
import { deployedOn } from '../support/deployed-on.js';

// A release records the target its candidate was deployed on, and a run whose config names another
// target leaves it alone. Before, the record was the target's description, which leaves out fields
// that pick the platform: a KServe InferenceService in context prod-eu and one in prod-us read the
// same, so a run under prod-us withdrew "there" and recorded a withdrawal prod-eu never saw. Now
// the record holds the target's identity: its type and every addressing field, no secret. Each
// pair below is built by the real adapters from a config, as a run builds its target.

/** The model `fraud` whose target is the flow map `target`, as a run under that config builds it; `env` interpolated. */
function modelWith(target: string, env: Record<string, string> = {}): ModelConfig {
  return loadedWith(target, env).config.models.fraud as ModelConfig;
}

/** The config whose model `fraud` has the target `target`, loaded with `env`. */
function loadedWith(target: string, env: Record<string, string>) {
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
  return parseConfig(text, env);
}

/** What a run under `now`'s config says of PR #7's candidate deployed under `then`'s; undefined: it acts on it. */
function refusal(then: ModelConfig, now: ModelConfig): string | undefined {
  return refusalOf(deployedOn(then), now);
}

/** What a run under `now`'s config says of `release`; undefined: it acts on it. */
function refusalOf(release: Release, now: ModelConfig): string | undefined {
  try {
    checkSameTarget(release, targetFor(now));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const KSERVE = 'type: kserve, namespace: ml, storage-uri: "gs://m/{{version}}"';

describe('a move to another platform that the description does not show', () => {
  it.each([
    [
      'kserve context',
      `{ ${KSERVE}, context: prod-eu }`,
      `{ ${KSERVE}, context: prod-us }`,
      'context prod-eu',
    ],
    ['kserve context set', `{ ${KSERVE} }`, `{ ${KSERVE}, context: prod-us }`, 'no context'],
    [
      'seldon context',
      '{ type: seldon, namespace: ml, context: prod-eu }',
      '{ type: seldon, namespace: ml, context: prod-us }',
      'context prod-eu',
    ],
    [
      'azureml resource group',
      '{ type: azureml, endpoint: ep1, resource-group: rg-eu, workspace: ws }',
      '{ type: azureml, endpoint: ep1, resource-group: rg-us, workspace: ws }',
      'resource-group rg-eu',
    ],
    [
      'azureml subscription',
      '{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws, subscription: prod }',
      '{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws, subscription: staging }',
      'subscription prod',
    ],
    [
      'vertex project',
      '{ type: vertex, endpoint: "42", region: europe-west4, project: prod }',
      '{ type: vertex, endpoint: "42", region: europe-west4, project: staging }',
      'project prod',
    ],
    [
      'command arguments',
      '{ type: command, apply: [deploy, --cluster, eu], read: [state, --cluster, eu] }',
      '{ type: command, apply: [deploy, --cluster, us], read: [state, --cluster, us] }',
      'arguments sha256:',
    ],
    [
      // The switch takes no value: the endpoint after it is no secret, and tells the platforms apart.
      'command endpoint after --skip-auth',
      '{ type: command, apply: [deploy, --skip-auth, scoring-staging], read: [state] }',
      '{ type: command, apply: [deploy, --skip-auth, scoring-prod], read: [state] }',
      'arguments sha256:',
    ],
    [
      "http URL's query",
      '{ type: http, url: "https://serving.example.com/m?cluster=eu" }',
      '{ type: http, url: "https://serving.example.com/m?cluster=us" }',
      'query sha256:',
    ],
  ])('%s: the run leaves the candidate alone, naming the field that differs', (_, then, now, field) => {
    const said = refusal(modelWith(then), modelWith(now));
    expect(said).toContain("fraud: PR #7's candidate v2 was deployed on");
    expect(said).toContain(` with ${field}`);
    expect(said).toContain('run command: abort (model-gate run abort) for fraud under this config');
  });
});

describe('the same platform, however its secrets and timeouts changed', () => {
  it('a rotated token in a header, a longer settle-timeout: the run acts on the candidate', () => {
    const http = (timeout: string) =>
      `{ type: http, url: "https://serving.example.com/m", headers: { Authorization: "Bearer \${SERVING_TOKEN}" }, settle-timeout: ${timeout} }`;
    const then = modelWith(http('10m'), { SERVING_TOKEN: 'token-before-rotation' });
    const now = modelWith(http('30m'), { SERVING_TOKEN: 'token-after-rotation' });
    expect(refusal(then, now)).toBeUndefined();
    // The record holds no header at all: it goes to a PR comment.
    expect(JSON.stringify(deployedOn(then))).not.toContain('token-before-rotation');
  });

  it("a rotated secret in a command's option or a URL's secret-named query parameter: the same platform, never stored", () => {
    // The `--password=` one from the environment: one written in the file is refused (literal-url-secrets.test.ts).
    const command = (token: string) =>
      modelWith(
        `{ type: command, apply: [deploy, --token, "${token}"], read: [state, "--password=\${DB_PW}"] }`,
        { DB_PW: token },
      );
    expect(refusal(command('s3cret-before'), command('s3cret-after'))).toBeUndefined();
    expect(JSON.stringify(deployedOn(command('s3cret-before')))).not.toContain('s3cret-before');
    // From the environment: a key written in the file is refused (literal-url-secrets.test.ts).
    const http = (key: string) =>
      modelWith(`{ type: http, url: "https://serving.example.com/m?tenant=eu&api_key=\${API_KEY}" }`, {
        API_KEY: key,
      });
    expect(refusal(http('key-before'), http('key-after'))).toBeUndefined();
    expect(JSON.stringify(deployedOn(http('key-before')))).not.toContain('key-before');
  });

  // How fc64039's identity.ts and secret-values.ts recorded these arguments (each digest computed
  // there from the same config): a URL holding a secret masked whole (`***`), and the argument after
  // any secret-named option, `--skip-auth` too, left out as its value.
  it.each([
    [
      'a URL holding a password',
      'DATABASE_URL',
      'postgres://deploy:Sup3rS3cretPw@db.prod.example:5432/models',
      '',
      'sha256:491c28dc2b4c4335',
    ],
    [
      "a URL holding a signed URL's sig",
      'MODEL_STORE',
      'https://acct.blob.example/m?sv=2022-11-02&sig=AbCdEf0123456789',
      '',
      'sha256:491c28dc2b4c4335',
    ],
    ['an endpoint after --skip-auth', 'ENDPOINT', 'scoring-prod', '--skip-auth, ', 'sha256:c2447d62c2be6521'],
  ])(
    "a command's argument %s, recorded by an earlier model-gate: the same platform after an upgrade",
    (_, name, value, before, recorded) => {
      const env = { [name]: value };
      const target = `{ type: command, apply: [deploy, ${before}"\${${name}}", "{{candidate}}"], read: [state, ${before}"\${${name}}"] }`;
      // This run masks what the action masks for this config.
      for (const secret of secretValues(loadedWith(target, env).interpolated, env).values) addSecret(secret);
      const model = modelWith(target, env);
      const release = deployedOn(model);
      const deployed = release.target as NonNullable<typeof release.target>;
      const earlier = {
        ...release,
        target: { ...deployed, identity: { ...deployed.identity, arguments: recorded } },
      };
      expect(refusalOf(earlier, model)).toBeUndefined();
    },
  );

  it("a command's database URL recorded by this version, now another database's: still a move", () => {
    const target = `{ type: command, apply: [deploy, "\${DATABASE_URL}", "{{candidate}}"], read: [state] }`;
    const [staging, prod] = ['db.staging', 'db.prod'].map((host) => {
      const env = { DATABASE_URL: `postgres://deploy:Pw-${host}@${host}/models` };
      for (const secret of secretValues(loadedWith(target, env).interpolated, env).values) addSecret(secret);
      return modelWith(target, env);
    });
    expect(refusal(staging as ModelConfig, prod as ModelConfig)).toContain('with arguments sha256:');
  });

  it('a run that registers a secret the description contains: the same platform as a run that does not', () => {
    const model = modelWith(
      '{ type: azureml, endpoint: ep1, resource-group: rg, workspace: fraud-workspace }',
    );
    const recorded = deployedOn(model);
    // A later run masks a value that the description holds (a webhook's path, a short token).
    addSecret('fraud-workspace');
    expect(() => checkSameTarget(recorded, targetFor(model))).not.toThrow();
  });
});
