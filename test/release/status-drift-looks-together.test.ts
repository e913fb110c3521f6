import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { MetricsError } from '../../src/core/errors.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { handleCommand } from '../../src/release/commands.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { driftWatchPorts, v2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// command status took each drift-watched model's look one after another: a metrics source that
// hangs cost its whole timeout (10 s by default) per model, over 100 s for ten models, during an
// incident when people run status. The looks now run side by side. fraud and risk, each serving
// v2 for two days with a drift watch, on a source that answers no model's histogram query until
// both models asked one (as a hanging source holds every request): taken in turn, the first look
// gave up (as at a timeout) before the second began.
const HOUR = 3_600_000;
const WATCH = '{ window: 1h, reference: 24h, max-psi: 0.2 }';
// shiftedScores' top finite bound is 0.75: Wasserstein counts its +Inf bucket there, a lower bound.
const SHIFTED =
  'PSI 0.913 (major shift), Jensen-Shannon 0.392 (notable shift), Wasserstein ≥ 0.212 (values above 0.75 counted as 0.75), KS distance 0.4';

async function twoWatchedModels() {
  const clock = new FakeClock();
  const { ledger } = await v2PromotedLongAgo(clock, 'model-gate-status-looks-', ['fraud', 'risk']);
  const yaml = driftWatchYaml(
    WATCH,
    `  risk:\n    source: { file: r.yaml, key: version }\n    gates: []\n    drift-watch: ${WATCH}\n`,
  );
  const { config } = parseConfig(yaml, {});
  return { clock, ledger, config };
}

/**
 * Shifted scores that hold each histogram query until queries of `models` models are in flight
 * together (then answer all), or until `giveUpMs` passes: a source that does not answer, which a
 * look reports as such. `peak`: the most models asked at once.
 */
function heldUntilAllAsk(models: number, giveUpMs: number) {
  const scores = shiftedScores((w) => w.since >= w.until - HOUR);
  const asking = new Set<string>();
  let allAsked!: () => void;
  const together = new Promise<void>((resolve) => {
    allAsked = resolve;
  });
  const held = {
    peak: 0,
    metrics: (): MetricSource => ({
      ...scores,
      buckets: async (query, w) => {
        asking.add(w.model);
        held.peak = Math.max(held.peak, asking.size);
        if (asking.size === models) allAsked();
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<'gave up'>((resolve) => {
          timer = setTimeout(() => resolve('gave up'), giveUpMs);
        });
        const outcome = await Promise.race([together, gaveUp]);
        clearTimeout(timer);
        asking.delete(w.model);
        if (outcome === 'gave up') throw new MetricsError(`no answer within ${giveUpMs} ms`);
        return scores.buckets?.(query, w);
      },
    }),
  };
  return held;
}

describe('command status of two models with drift watches', () => {
  it('looks at both together: a source that hangs costs one wait, not one per model', async () => {
    const { clock, ledger, config } = await twoWatchedModels();
    const source = heldUntilAllAsk(2, 2_000);
    const ports = driftWatchPorts({ ledger, clock, serving: 'v2', metrics: source.metrics });
    const result = await handleCommand(config, 'status', { dryRun: false }, ports);
    expect(source.peak).toBe(2);
    const report = renderMarkdown(config, result, { now: clock.now() });
    // Each model's own line, in config order, with its look's statistics.
    expect(result.serving?.map((s) => s.model)).toEqual(['fraud', 'risk']);
    for (const model of ['fraud', 'risk']) expect(report).toContain(`- ${model} v2: drift watch looked at `);
    expect(report.split(SHIFTED)).toHaveLength(3);
    expect(report).not.toContain('drift not checked');
  });
});
