import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { reportTitle, runDecision } from '../../src/report/decision.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';

// A watch that saw no predictions (a misspelt `buckets` query that matches nothing, a reference
// older than the source keeps, a model with no traffic yet) stayed silent and green tick after
// tick: "no predictions in the reference to compare", headed "Nothing to release", no warning,
// blaming the reference even when both windows matched nothing. It is blind: a warning, a heading
// that says so, the windows that had none and the query that matched nothing.
const HOUR = 3_600_000;
const QUERY = 'sum by (le) (increase(fraud_scroes_bucket[{{window}}]))';

/** 1000 predictions an hour in four buckets; `missing` picks the windows the query matches nothing in. */
function scores(missing: (w: MetricWindow, now: number) => boolean, clock: FakeClock): MetricSource {
  return {
    requests: async () => 1000,
    value: async () => undefined,
    buckets: async (_q: string, w: MetricWindow): Promise<Bucket[] | undefined> => {
      if (missing(w, clock.now())) return undefined;
      const n = ((w.until - w.since) / HOUR) * 1000;
      return [0.4, 0.7, 0.9, 1].map((c, i) => ({ le: i === 3 ? '+Inf' : (i + 1) / 4, count: c * n }));
    },
  };
}

async function tick(missing: (w: MetricWindow, now: number) => boolean) {
  const clock = new FakeClock();
  const { ledger } = await fraudV2PromotedLongAgo(clock, 'model-gate-drift-none-');
  const watch = `{ buckets: "${QUERY}", window: 1h, reference: 24h, max-psi: 0.2 }`;
  // Prometheus, where a misspelt metric matches nothing: the source answers for it here.
  const yaml = driftWatchYaml(watch).replace('metrics: { type: sandbox', 'metrics: { type: prometheus');
  const { config } = parseConfig(yaml, {});
  const warnings: string[] = [];
  const ports = {
    ...driftWatchPorts({ ledger, clock, serving: 'v2', metrics: () => scores(missing, clock) }),
    log: { info: () => {}, warn: (m: string) => warnings.push(m) },
  };
  const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
  return { result, report: result.drift?.[0], warnings };
}

const SHOWN = JSON.stringify(QUERY);

describe('a drift watch whose query matches nothing', () => {
  it('is blind, not green: a warning naming both windows and the query, and a heading that says so', async () => {
    const { result, report, warnings } = await tick(() => true);

    const note = `fraud v2: drift not checked (inconclusive): no predictions in either window to compare (the last 1h against the 1d before): drift-watch.buckets ${SHOWN} matched nothing for either window, which is no data, not 0: check the query's metric and label names against the source (a misspelt one matches nothing) and that the model serves traffic; the next tick looks again`;
    expect(report).toMatchObject({ inconclusive: true, drifted: false, blind: 'predictions', note });
    expect(warnings).toEqual([note]);
    expect(reportTitle(result)).toBe("⚠️ Drift not checked: fraud's drift-watch query found no predictions");
    expect(runDecision(result)).toBe('skipped');
  });

  it('names the reference alone when only it is empty (older than the source keeps)', async () => {
    const { report, warnings } = await tick((w, now) => w.until < now);

    expect(report?.note).toBe(
      `fraud v2: drift not checked (inconclusive): no predictions in the reference to compare (the last 1h against the 1d before): drift-watch.buckets ${SHOWN} matched nothing for the reference, which is no data, not 0: check that the metrics source keeps data that far back and that the version served then; the next tick looks again`,
    );
    expect(warnings).toHaveLength(1);
  });

  it('names the window alone when only it is empty (no traffic now)', async () => {
    const { report } = await tick((w, now) => w.until === now);

    expect(report?.blind).toBe('predictions');
    expect(report?.note).toMatch(
      /no predictions in the window to compare \(the last 1h against the 1d before\): drift-watch\.buckets .+ matched nothing for the window, which is no data, not 0: check that the version serves traffic now/,
    );
  });
});
