import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { targetFor } from '../../src/release/adapters.js';
import {
  perRequestSplitNote,
  strategyRefusal,
  TARGET_TYPES,
  targetCapabilities,
} from '../../src/targets/capabilities.js';

const F = '.github/model-gate.yml';

/** The reason a target refuses a strategy, as the config error says it. */
const refusal = (target: unknown, strategy: unknown) => strategyRefusal(target, strategy)?.message;

/** A one-model config whose target is the given YAML flow mapping. */
const withTarget = (target: string, strategy = '{ type: canary, steps: [10, 50] }') => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: ${target}
    metrics: { type: sandbox, url: http://127.0.0.1:1 }
    strategy: ${strategy}
    gates: []
`;
const targetOf = (target: string) => {
  const model = parseConfig(withTarget(target), { TOKEN: 't0ken' }).config.models.fraud;
  if (!model) throw new Error('no model');
  return model.target;
};
const problems = (target: string) => {
  try {
    parseConfig(withTarget(target), {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('target configs', () => {
  it('normalises every platform target (defaults filled, durations in ms)', () => {
    const timing = { timeoutMs: 60_000, settleTimeoutMs: 600_000, pollIntervalMs: 10_000 };
    expect(targetOf('{ type: kserve, namespace: ml, storage-uri: "gs://m/{{model}}/{{version}}" }')).toEqual({
      type: 'kserve',
      namespace: 'ml',
      storageUri: 'gs://m/{{model}}/{{version}}',
      ...timing,
    });
    expect(targetOf('{ type: sagemaker, endpoint: fraud-ep, region: eu-west-1, timeout: 30s }')).toEqual({
      type: 'sagemaker',
      endpoint: 'fraud-ep',
      region: 'eu-west-1',
      variant: '{{version}}',
      ...timing,
      timeoutMs: 30_000,
    });
    expect(
      targetOf(
        '{ type: azureml, endpoint: fraud-ep, resource-group: rg, workspace: ws, deployment: "d-{{version}}" }',
      ),
    ).toEqual({
      type: 'azureml',
      endpoint: 'fraud-ep',
      resourceGroup: 'rg',
      workspace: 'ws',
      deployment: 'd-{{version}}',
      ...timing,
    });
    expect(targetOf('{ type: vertex, endpoint: "123", region: us-central1, project: p }')).toEqual({
      type: 'vertex',
      endpoint: '123',
      region: 'us-central1',
      project: 'p',
      deployedModel: '{{version}}',
      ...timing,
    });
    expect(
      targetOf('{ type: seldon, namespace: seldon-mesh, settle-timeout: 2m, poll-interval: 5s }'),
    ).toEqual({
      type: 'seldon',
      namespace: 'seldon-mesh',
      modelName: '{{model}}-{{version}}',
      ...timing,
      settleTimeoutMs: 120_000,
      pollIntervalMs: 5_000,
    });
    expect(
      targetOf(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${TOKEN} is config syntax
        '{ type: http, url: "https://serving.internal/models/fraud", headers: { Authorization: "Bearer ${TOKEN}" } }',
      ),
    ).toEqual({
      type: 'http',
      url: 'https://serving.internal/models/fraud',
      headers: { Authorization: 'Bearer t0ken' },
      strategies: ['canary'],
      ...timing,
    });
    expect(
      targetOf(
        '{ type: command, apply: [./switch, "{{stable}}", "{{candidate}}", "{{weight}}"], read: [./state] }',
      ),
    ).toEqual({
      type: 'command',
      apply: ['./switch', '{{stable}}', '{{candidate}}', '{{weight}}'],
      read: ['./state'],
      timeoutMs: 60_000,
      settleTimeoutMs: 600_000,
      pollIntervalMs: 10_000,
      strategies: ['canary'],
    });
  });

  it('refuses placeholders inside arguments, name templates without {{version}}, and impatient polling', () => {
    expect(
      problems('{ type: command, apply: [./switch, "--weight={{weight}}"], read: ["{{stable}}"] }'),
    ).toEqual([
      `${F}:5:48: models.fraud.target.apply[1]: placeholders are replaced as whole arguments only ({{stable}}, {{candidate}}, {{weight}}, {{mirror}}, {{mirror-share}}, {{sticky-header}}): put each in its own list item, got "--weight={{weight}}"`,
      `${F}:5:79: models.fraud.target.read[0]: expected a program, got the placeholder {{stable}}`,
    ]);
    expect(problems('{ type: sagemaker, endpoint: ep, variant: fraud-blue }')).toEqual([
      `${F}:5:55: models.fraud.target.variant: expected a name containing {{version}} (each version needs its own name), got "fraud-blue"`,
    ]);
    expect(
      problems('{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws, deployment: "{{ver}}" }'),
    ).toEqual([
      `${F}:5:92: models.fraud.target.deployment: unknown placeholder {{ver}} in "{{ver}}" (known: {{version}}, {{model}})`,
    ]);
    expect(
      problems(
        '{ type: kserve, namespace: ML, storage-uri: "gs://m/latest", settle-timeout: 1m, poll-interval: 2m }',
      ),
    ).toEqual([
      `${F}:5:40: models.fraud.target.namespace: expected a Kubernetes namespace (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit), got "ML"`,
      `${F}:5:57: models.fraud.target.storage-uri: expected a storage URI containing {{version}}, e.g. "gs://models/fraud/{{version}}", got "gs://m/latest"`,
      `${F}:5:109: models.fraud.target.poll-interval: expected at most settle-timeout (1m), got 2m`,
    ]);
    expect(problems('{ type: eks, url: http://x }')[0]).toMatch(
      /unknown target type "eks" \(known: "sandbox", "kserve", .* or "command"\)/,
    );
  });

  it('builds the adapter of every type through targetFor', () => {
    const model = (target: string) => {
      const m = parseConfig(withTarget(target), {}).config.models.fraud;
      if (!m) throw new Error('no model');
      return m;
    };
    expect(
      targetFor(model('{ type: kserve, namespace: ml, storage-uri: "gs://m/{{version}}" }')).description,
    ).toBe('KServe InferenceService fraud (namespace ml)');
    expect(targetFor(model('{ type: sagemaker, endpoint: ep, region: us-east-1 }')).description).toBe(
      'SageMaker endpoint ep (us-east-1)',
    );
    expect(
      targetFor(model('{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws }')).description,
    ).toBe('Azure ML endpoint ep1 (workspace ws)');
    expect(targetFor(model('{ type: vertex, endpoint: "42", region: europe-west4 }')).description).toBe(
      'Vertex AI endpoint 42 (europe-west4)',
    );
    expect(targetFor(model('{ type: seldon, namespace: seldon, experiment: fraud-exp }')).description).toBe(
      'Seldon Experiment fraud-exp (namespace seldon)',
    );
    expect(targetFor(model('{ type: http, url: "http://serving:80/m/" }')).description).toBe(
      'serving layer at http://serving/m',
    );
    expect(targetFor(model('{ type: command, apply: [switch], read: [state] }')).description).toBe(
      'command target switch for fraud',
    );
  });
});

describe('target capabilities', () => {
  it('follows the SPEC section 5 table', () => {
    expect(
      Object.fromEntries(TARGET_TYPES.map((t) => [t, targetCapabilities(t).strategies.join(' ')])),
    ).toEqual({
      sandbox: 'canary linear blue-green shadow ab rolling',
      http: 'canary',
      command: 'canary',
      kserve: 'canary linear blue-green',
      sagemaker: 'canary linear blue-green shadow ab',
      azureml: 'canary linear blue-green shadow ab',
      vertex: 'canary linear blue-green ab',
      seldon: 'canary linear shadow ab',
    });
    expect(targetCapabilities('azureml').maxMirrorPercent).toBe(50);
    expect(targetCapabilities('sagemaker').maxMirrorPercent).toBe(100);
  });

  it('says which platforms split an A/B per request, and how a caller keeps a user on one arm there', () => {
    for (const type of ['sandbox', 'http', 'command'] as const)
      expect(perRequestSplitNote(type, 'x-user-id')).toBeUndefined();
    expect(perRequestSplitNote('azureml', 'x-account')).toBe(
      "the azureml target splits each request at random by weight, not by x-account, so a user can see both arms; to keep a user on one arm, send the user's requests with the header azureml-model-deployment: <that arm's deployment>",
    );
    expect(perRequestSplitNote('sagemaker', 'x-user-id')).toMatch(
      /both arms; .*InvokeEndpoint's TargetVariant/,
    );
    expect(perRequestSplitNote('seldon', 'x-user-id')).toMatch(/both arms; .*x-seldon-route header/);
    expect(perRequestSplitNote('vertex', 'x-user-id')).toMatch(
      /both arms; Vertex AI cannot keep a user on one arm/,
    );
    // The adapters the engine builds carry it, so the read-back does not demand a key they cannot show.
    const split = (target: string) => {
      const m = parseConfig(withTarget(target), {}).config.models.fraud;
      if (!m) throw new Error('no model');
      return targetFor(m).stickySplit;
    };
    expect(split('{ type: sagemaker, endpoint: ep }')).toBe('per-request');
    expect(split('{ type: azureml, endpoint: ep1, resource-group: rg, workspace: ws }')).toBe('per-request');
    expect(split('{ type: vertex, endpoint: "42", region: europe-west4 }')).toBe('per-request');
    expect(split('{ type: seldon, namespace: seldon }')).toBe('per-request');
    expect(split('{ type: sandbox, url: "http://127.0.0.1:1" }')).toBe('key');
    expect(split('{ type: http, url: "http://serving:80/m/" }')).toBe('key');
    expect(split('{ type: command, apply: [switch], read: [state] }')).toBe('key');
  });

  it('refuses a strategy a platform cannot do, with the reason', () => {
    const canary = { type: 'canary', steps: [10, 50] };
    expect(refusal({ type: 'kserve' }, { type: 'shadow' })).toBe(
      'the kserve target cannot do shadow: it has no traffic mirroring (canaryTrafficPercent only splits live traffic) (it can do canary, linear, blue-green)',
    );
    expect(refusal({ type: 'kserve' }, { type: 'ab' })).toBe(
      'the kserve target cannot do ab: it has no split by a sticky key (user id) (it can do canary, linear, blue-green)',
    );
    expect(refusal({ type: 'vertex' }, { type: 'shadow' })).toMatch(
      /^the vertex target cannot do shadow: it has no traffic mirroring/,
    );
    expect(refusal({ type: 'seldon' }, { type: 'blue-green' })).toMatch(
      /^the seldon target cannot do blue-green: an Experiment/,
    );
    expect(refusal({ type: 'sagemaker' }, { type: 'rolling' })).toMatch(
      /^the sagemaker target cannot do rolling/,
    );
    expect(refusal({ type: 'sagemaker' }, { type: 'shadow', share: 12.5 })).toBeUndefined();
    expect(refusal({ type: 'sagemaker' }, { type: 'shadow' })).toBeUndefined();
    for (const type of TARGET_TYPES)
      expect(refusal({ type, apply: ['x'], read: ['y'] }, canary)).toBeUndefined();
  });

  it('refuses fractional steps on platforms that take whole percentages', () => {
    const steps = { type: 'canary', steps: [12.5, 50] };
    expect(strategyRefusal({ type: 'kserve' }, steps)).toEqual({
      message: 'the kserve target takes whole percentages of traffic, got the step 12.5; use whole numbers',
      at: ['steps', 0],
    });
    for (const type of ['azureml', 'vertex', 'seldon'])
      expect(refusal({ type }, steps)).toMatch(/takes whole percentages/);
    for (const type of ['sagemaker', 'http', 'command', 'sandbox'])
      expect(refusal({ type }, steps)).toBeUndefined();
  });

  it('refuses a shadow share the platform cannot mirror, or a fraction of a percent', () => {
    expect(refusal({ type: 'azureml' }, { type: 'shadow' })).toBe(
      'the azureml target mirrors at most 50% of live traffic, got share 100% (the default); set strategy.share to 50 or less',
    );
    expect(refusal({ type: 'azureml' }, { type: 'shadow', share: 60 })).toBe(
      'the azureml target mirrors at most 50% of live traffic, got share 60%; set strategy.share to 50 or less',
    );
    expect(refusal({ type: 'azureml' }, { type: 'shadow', share: 50 })).toBeUndefined();
    expect(refusal({ type: 'azureml' }, { type: 'shadow', share: 12.5 })).toBe(
      'the azureml target takes whole percentages of traffic, got the share 12.5; use whole numbers',
    );
    expect(refusal({ type: 'seldon' }, { type: 'shadow', share: 2.5 })).toMatch(/got the share 2.5/);
    expect(refusal({ type: 'seldon' }, { type: 'shadow' })).toBeUndefined();
    expect(refusal({ type: 'sandbox' }, { type: 'shadow', share: 12.5 })).toBeUndefined();
    // The other percentages a strategy names are whole on these platforms too.
    expect(refusal({ type: 'vertex' }, { type: 'linear', 'step-size': 7.5 })).toMatch(
      /got the step-size 7.5; use whole numbers$/,
    );
    expect(refusal({ type: 'azureml' }, { type: 'ab', split: 33.3 })).toMatch(/got the split 33.3/);
  });

  it('takes a shadow on sagemaker and still refuses rolling there, naming the field', () => {
    const shadow = withTarget('{ type: sagemaker, endpoint: fraud-prod }', '{ type: shadow, share: 20 }');
    expect(() => parseConfig(shadow, {}, F)).not.toThrow();
    const rolling = withTarget('{ type: sagemaker, endpoint: fraud-prod }', '{ type: rolling }');
    expect(() => parseConfig(rolling, {}, F)).toThrow(
      /models\.fraud\.strategy: the sagemaker target cannot do rolling/,
    );
  });

  it('uses the strategies declared for http and command targets', () => {
    const canary = { type: 'canary', steps: [10] };
    expect(refusal({ type: 'command', strategies: ['blue-green'] }, canary)).toBe(
      'the command target declares strategies: [blue-green], so it cannot do canary; add "canary" to target.strategies if your commands can',
    );
    expect(refusal({ type: 'http', strategies: ['canary', 'shadow'] }, { type: 'shadow' })).toBeUndefined();
    expect(refusal({ type: 'http' }, { type: 'shadow' })).toBe(
      'the http target declares strategies: [canary], so it cannot do shadow; add "shadow" to target.strategies if your service can',
    );
    // Malformed input is left to the schemas.
    expect(refusal(undefined, canary)).toBeUndefined();
    expect(refusal({ type: 'nope' }, canary)).toBeUndefined();
  });
});
