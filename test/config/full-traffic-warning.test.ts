import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configWarnings } from '../../src/config/config-warnings.js';
import { parseConfig } from '../../src/config/load.js';
import { runCli } from '../support/cli-process.js';

// A later phase at 100% of live traffic has no stable traffic beside it: a side-by-side gate keeps
// the pass of the phase before, so with only such gates the phase passes on entry and its
// min-requests and step-duration never apply. Valid (docs/configuration.md says so), but
// validate, plan and the action warn, naming the field and the gate kinds that would watch it.

const RATIO = '{ name: errors, kind: ratio, events: errors, max-increase: 10% }';
const LATENCY = '{ name: p99, kind: latency, quantile: 0.99, max-increase: 15% }';
const THRESHOLD = '{ name: error-rate, kind: threshold, query: error-rate, max: 0.02 }';
const WEBHOOK = '{ name: load-test, kind: webhook, url: "http://127.0.0.1:1/check" }';
const OFFLINE = '{ name: auc, kind: offline, file: eval.json, key: auc, min: 0.9 }';

/** One model `fraud` on the sandbox with `strategy` (a flow mapping) and `gates` (flow mappings). */
const yaml = (strategy: string, ...gates: string[]) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: ${strategy}
    gates:
${gates.map((g) => `      - ${g}\n`).join('')}`;
const warnings = (strategy: string, ...gates: string[]) =>
  configWarnings(parseConfig(yaml(strategy, ...gates), {}).config);

const UNWATCHED =
  'passes on entry with only side-by-side gates (stable serves nothing to compare); add a threshold or webhook gate to watch it';

describe('a later phase at 100% of traffic with only side-by-side gates', () => {
  it("is warned of at the canary's 100% step", () => {
    expect(warnings('{ type: canary, steps: [10, 50, "100%"] }', RATIO, LATENCY, OFFLINE)).toEqual([
      `models.fraud.strategy.steps[2]: the 100% step ${UNWATCHED}`,
    ]);
  });

  it("is warned of at a linear max-weight of 100, and at a rolling release's last batch", () => {
    expect(warnings('{ type: linear, step-size: 25, max-weight: 100 }', RATIO)).toEqual([
      `models.fraud.strategy.max-weight: the 100% step ${UNWATCHED}`,
    ]);
    expect(warnings('{ type: rolling, instances: 4, batch-size: 2 }', LATENCY)).toEqual([
      `models.fraud.strategy: the last batch (all 4 instances) ${UNWATCHED}`,
    ]);
  });

  it('is not warned of with a threshold or webhook gate to judge it, or without a 100% phase', () => {
    expect(warnings('{ type: canary, steps: [10, 100] }', RATIO, THRESHOLD)).toEqual([]);
    expect(warnings('{ type: canary, steps: [10, 100] }', RATIO, WEBHOOK)).toEqual([]);
    expect(warnings('{ type: canary, steps: [10, 50] }', RATIO, LATENCY)).toEqual([]);
    expect(warnings('{ type: linear, step-size: 25 }', RATIO)).toEqual([]);
    // No live gate at all: nothing side-by-side to carry a pass over.
    expect(warnings('{ type: canary, steps: [10, 100] }', OFFLINE)).toEqual([]);
  });

  it('is printed by validate, which still exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mg-full-traffic-'));
    try {
      await writeFile(join(dir, 'model-gate.yml'), yaml('{ type: canary, steps: [10, 100] }', RATIO));
      const run = await runCli(dir, ['validate', 'model-gate.yml']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(
        `warning: model-gate.yml: models.fraud.strategy.steps[1]: the 100% step ${UNWATCHED}\n`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
