import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

// A rolling update replaces instances in batches, but neither an http target (its contract's
// TrafficState has no batches) nor a command target (apply gets no batch values) can be told
// which: such a release would fail at its first batch, so the config is refused up front.

const F = '.github/model-gate.yml';
const ROLLING = '{ type: rolling, instances: 4, batch-size: 1 }';
const HTTP = 'type: http, url: "https://serving.internal.example.com/models/fraud"';
const COMMAND =
  'type: command, apply: [deploy, "{{stable}}", "{{candidate}}", "{{weight}}"], read: [deploy, read]';

const config = (target: string, strategy = ROLLING) => `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { ${target} }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

/** A problem at a place in the file: `<file>:<line>:<col>: <pattern>`. */
const at = (pattern: string) => new RegExp(`^\\.github/model-gate\\.yml:\\d+:\\d+: ${pattern}`);

function problems(text: string): string[] {
  try {
    parseConfig(text, {}, F);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('rolling on targets that do what they declare', () => {
  it('refuses rolling declared for an http target, naming the field, why, and what to use', () => {
    expect(problems(config(`${HTTP}, strategies: [canary, rolling]`))).toEqual([
      expect.stringMatching(
        at(
          'models\\.fraud\\.target\\.strategies\\[1\\]: the http target cannot do rolling, so remove it from target\\.strategies: .*TrafficState in docs/http-target\\.openapi\\.yaml.* use canary or linear',
        ),
      ),
      expect.stringMatching(at('models\\.fraud\\.strategy: the http target cannot do rolling: ')),
    ]);
  });

  it('refuses rolling declared for a command target, naming the values apply gets', () => {
    expect(problems(config(`${COMMAND}, strategies: [rolling]`))).toEqual([
      expect.stringMatching(
        at(
          'models\\.fraud\\.target\\.strategies\\[0\\]: the command target cannot do rolling, so remove it from target\\.strategies: apply is given no batch to replace \\(only \\{\\{stable\\}\\}, .*\\); use canary or linear',
        ),
      ),
      expect.stringMatching(at('models\\.fraud\\.strategy: the command target cannot do rolling: ')),
    ]);
  });

  it('does not advise declaring rolling when the strategy asks for it', () => {
    for (const target of [HTTP, COMMAND]) {
      const found = problems(config(target));
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(
        at('models\\.fraud\\.strategy: the (http|command) target cannot do rolling: '),
      );
      expect(found[0]).not.toMatch(/add "rolling"/);
    }
  });

  it('still takes the strategies these targets can declare', () => {
    const declared = 'strategies: [canary, linear, blue-green, shadow, ab]';
    expect(problems(config(`${HTTP}, ${declared}`, '{ type: linear, step-size: 25 }'))).toEqual([]);
    expect(problems(config(`${COMMAND}, ${declared}`, '{ type: blue-green }'))).toEqual([]);
  });
});
