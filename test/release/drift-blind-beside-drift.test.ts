import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { MetricsError } from '../../src/core/errors.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { reportTitle } from '../../src/report/decision.js';
import { driftWatchPorts, fraudV2PromotedLongAgo } from '../support/engine-ports.js';
import { driftWatchYaml } from '../support/model-config.js';
import { shiftedScores } from '../support/shifted-scores.js';

// The run heading said only "⚠️ Still drifting (alerted before)" while churn's metrics source was
// down: a blind watch beside a drift on record hid behind it. The heading now says both.
const HOUR = 3_600_000;

const CHURN = `  churn:
    source: { file: c.yaml, key: version }
    gates: []
    drift-watch: { window: 1h, reference: 24h, max-psi: 0.2 }
`;

describe("a tick with fraud still drifting and churn's metrics source down", () => {
  it('heads the report with both', async () => {
    const clock = new FakeClock();
    const { ledger } = await fraudV2PromotedLongAgo(clock, 'model-gate-drift-blind-beside-');
    const { config } = parseConfig(driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }', CHURN), {});
    const shiftAt = clock.now();
    const scores = shiftedScores((w) => w.since >= shiftAt);
    const down: MetricSource = {
      requests: async () => 0,
      value: async () => undefined,
      buckets: async () => {
        throw new MetricsError('connect ECONNREFUSED 127.0.0.1:1');
      },
    };
    const tick = async () => {
      clock.advance(HOUR);
      const ports = {
        ...driftWatchPorts({ ledger, clock, serving: 'v2', metrics: () => scores }),
        metricsFor: (m: { name: string }) => (m.name === 'churn' ? down : scores),
      };
      return handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    };
    await tick();
    const second = await tick();

    expect(second.drift?.map((d) => [d.model, d.drifted, d.blind])).toEqual([
      ['fraud', true, undefined],
      ['churn', false, 'metrics'],
    ]);
    expect(reportTitle(second)).toBe(
      "⚠️ Still drifting (alerted before); drift not checked: churn's metrics source did not answer",
    );
  });
});
