import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

// A command acting on one model (`only`, a workflow_dispatch with `model`) reads that model in
// full; another model's problems leave that model out with a warning instead of stopping it. The
// file's own problems, and the named model's, still stop it.
const config = (fraud: string, churn: string, top = '') => `version: 1
${top}defaults:
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [50] }
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: ${fraud} }
  churn:
    source: { file: models/churn.yaml, key: version }
    target: { type: http, url: "\${CHURN_URL}", headers: { Authorization: "Bearer \${CHURN_TOKEN}" } }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: ${churn} }
`;

const problems = (text: string, only?: string): string[] => {
  try {
    parseConfig(text, {}, '.github/model-gate.yml', {
      only,
      nameModel: (m) => `in the \`model\` input (e.g. \`model: ${m}\`)`,
    });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('a config read for one model', () => {
  it('leaves out a model with an unset variable and a wrong value, one warning for it', () => {
    const loaded = parseConfig(config('0.02', '2'), {}, '.github/model-gate.yml', { only: 'fraud' });
    expect(Object.keys(loaded.config.models)).toEqual(['fraud']);
    expect(loaded.ignored).toHaveLength(1);
    expect(loaded.ignored?.[0]).toMatch(/^model churn ignored: this command acts on fraud only/);
    expect(loaded.ignored?.[0]).toContain(
      'models.churn.target.url: environment variable CHURN_URL is not set',
    );
    expect(loaded.ignored?.[0]).toContain('models.churn.gates[0].max: 2 on error-rate');
  });

  it("still masks the values the left-out model's fields read from the environment", () => {
    const env = { CHURN_TOKEN: 'churn-secret-token' };
    const loaded = parseConfig(config('0.02', '2'), env, '.github/model-gate.yml', { only: 'fraud' });
    expect(loaded.interpolated.map((f) => f.value)).toContain('Bearer churn-secret-token');
  });

  it("fails on the named model's own problem, naming the other's too", () => {
    const lines = problems(config('2', '2'), 'fraud');
    expect(lines.some((l) => l.includes('models.fraud.gates[0].max'))).toBe(true);
    expect(lines.some((l) => l.includes('models.churn.gates[0].max'))).toBe(true);
  });

  it("fails on the file's own problems: top-level fields, YAML syntax, a model it lacks", () => {
    expect(problems(config('0.02', '2', 'colour: blue\n'), 'fraud').join('\n')).toContain('colour');
    expect(problems(config('0.02', '2', 'defaults:\n  strategy: { type: nope }\n'), 'fraud')).not.toEqual([]);
    expect(problems(`${config('0.02', '0.02')}  bad: [\n`, 'fraud').join('\n')).toContain('YAML');
    expect(problems(config('0.02', '2'), 'frod').join('\n')).toContain('models.churn');
  });

  it('fails for every model when none is named, saying which model to name', () => {
    const lines = problems(config('0.02', '2'));
    expect(lines.at(-1)).toBe(
      'this command acts on every model: name one in the `model` input (e.g. `model: fraud`) to run it for that model despite the problems in churn above',
    );
  });

  it('reads everything as before when no scope is given', () => {
    expect(() => parseConfig(config('0.02', '2'), {})).toThrow(ConfigError);
    expect(() => parseConfig(config('0.02', '2'), {})).not.toThrow(/name one in the `model` input/);
  });
});
