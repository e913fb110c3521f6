import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseTrafficState } from '../../src/sandbox/request-bodies.js';

// The sandbox is the one target that does rolling, and its pool runs at most 100 instances: a
// config asking for more used to pass validate and be refused by the sandbox at the first batch
// of a PR's release ("rolling.instances: must be a whole number from 1 to 100, got 200").

const F = '.github/model-gate.yml';
const config = (instances: number) => `version: 1
models:
  m:
    source: { file: m.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1", model: m }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: rolling, instances: ${instances}, batch-size: 1 }
    gates: []
    must-have-data: false
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, {}, F);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** What the sandbox answers to the traffic state of a rolling batch over `instances`. */
function sandboxRefusal(instances: number): string | undefined {
  try {
    parseTrafficState({ stable: { version: 'v1' }, rolling: { version: 'v2', instances, replaced: 1 } });
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

describe('rolling instances', () => {
  it('refuses more instances than the sandbox runs when the config is validated, naming the field and the limit', () => {
    expect(problems(config(200))).toEqual([
      `${F}:7:43: models.m.strategy.instances: expected at most 100 (the sandbox, the one target that does rolling, runs at most 100 instances), got 200`,
    ]);
    expect(problems(config(101))).toEqual([
      expect.stringContaining('models.m.strategy.instances: expected at most 100 '),
    ]);
  });

  it('accepts exactly what the sandbox accepts at deploy time', () => {
    expect(problems(config(100))).toEqual([]);
    expect(sandboxRefusal(100)).toBeUndefined();
    expect(sandboxRefusal(101)).toMatch(/rolling\.instances: must be a whole number from 1 to 100, got 101/);
  });
});
