import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { v2PromotedLongAgo } from '../support/engine-ports.js';
import { MemoryTarget } from '../support/memory-target.js';

// command status read each model's platform one after another: with every platform hanging (an
// outage, when people run status), it took one timeout per model before saying anything. The
// reads now run side by side. fraud, risk and churn, each serving v2 promoted from v1, on platforms
// that answer no read until all three were asked (then the last model's first), or give up
// (as at a timeout): read in turn, each waited out its timeout before the next was asked.
const MODELS = ['fraud', 'risk', 'churn'];

const YAML = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [50] }
models:
${MODELS.map((m) => `  ${m}:\n    source: { file: ${m}.yaml, key: version }\n    gates: []\n`).join('')}`;

/**
 * Each model's platform serving v2, holding its read until every model's read was asked (then
 * answering them in reverse config order), or giving up after `giveUpMs` and answering then:
 * `events` records each "asked" and "answered" in turn.
 */
function platformsHoldingReads(giveUpMs: number) {
  const events: string[] = [];
  const held = new Map<string, () => void>();
  const targetFor = (model: ModelConfig): Target => ({
    description: `${model.name}'s platform`,
    read: async () => {
      events.push(`asked ${model.name}`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        held.set(model.name, resolve);
        timer = setTimeout(resolve, giveUpMs);
        // Answered once every read awaits its answer, so that they come in the order given.
        const answerAll = () => {
          for (const name of MODELS.toReversed()) held.get(name)?.();
        };
        if (held.size === MODELS.length) setImmediate(answerAll);
      });
      clearTimeout(timer);
      events.push(`answered ${model.name}`);
      return { stable: { version: 'v2' } };
    },
    write: async () => {
      throw new Error('command status writes nothing');
    },
  });
  return { events, targetFor };
}

/** command status of the three models, each platform from `targetFor`: its result and report. */
async function status(targetFor: Ports['targetFor']) {
  const clock = new FakeClock();
  const { ledger } = await v2PromotedLongAgo(clock, 'model-gate-status-reads-', MODELS);
  const { config } = parseConfig(YAML, {});
  const warnings: string[] = [];
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({}),
    clock,
    log: { info: () => {}, warn: (message) => warnings.push(message) },
    targetFor,
    metricsFor: () => {
      throw new Error('no drift watch: status reads no metrics');
    },
  };
  const result = await handleCommand(config, 'status', { dryRun: false }, ports);
  return { result, report: renderMarkdown(config, result, { now: clock.now() }), warnings };
}

describe('command status of three models whose platforms are slow to answer', () => {
  it('asks every platform before any answers, and reports the models in config order', async () => {
    const platforms = platformsHoldingReads(2_000);
    const held = await status(platforms.targetFor);
    // Asked in whatever order the ledger reads finish; all before any answer.
    expect(platforms.events.slice(0, 3).toSorted()).toEqual(['asked churn', 'asked fraud', 'asked risk']);
    expect(platforms.events.slice(3)).toEqual(['answered churn', 'answered risk', 'answered fraud']);
    expect(held.result.serving?.map((s) => s.model)).toEqual(MODELS);
    expect(held.result.serving?.map((s) => s.version)).toEqual(['v2', 'v2', 'v2']);
    // The answers came last model first: the report is the one of platforms answering at once.
    const atOnce = await status(() => new MemoryTarget({ stable: { version: 'v2' } }));
    expect(held.report).toBe(atOnce.report);
    expect(held.warnings).toEqual([]);
  });
});
