import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// One watch-mode job drives two models: fraud on a platform with a settle-timeout of 30m, churn on
// the sandbox. fraud's step-up to 50% is never confirmed (it fails at the settle-timeout), and its
// rollback then waits the whole settle-timeout for the platform too: one look of an hour, during
// which churn gets no look. A tick at its end must still find churn under the job's lease.
const MIN = 60_000;
const config = (churnSteps: string) =>
  parseConfig(
    `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: http, url: "https://serving.example.com", settle-timeout: 30m }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
  churn:
    source: { file: churn.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: ${churnSteps}, step-duration: 2h, min-requests: 100000, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    {},
  ).config;
const sha = (c: string) => c.repeat(40);

it('a job driving two models keeps its lease on churn through an hour-long look at fraud (a step-up and a rollback, each at its 30m settle-timeout): a tick then leaves churn on the PR job’s 5%', async () => {
  const prConfig = config('[5, 50]');
  const mainConfig = config('[10, 50]');
  const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-two-models-')), 'ledger.json');
  const clock = new FakeClock();
  let tick: Awaited<ReturnType<typeof handleSchedule>> | undefined;
  let churnAfterTick: TrafficState | undefined;
  let lost = false;
  const churn = new MemoryTarget();
  class SlowFraud extends MemoryTarget {
    override async write(desired: TrafficState): Promise<void> {
      if (desired.canary?.weight === 50) {
        clock.advance(30 * MIN);
        throw new TargetError('the update did not settle within 30m');
      }
      if (!desired.canary && this.state.canary) {
        clock.advance(30 * MIN);
        await super.write(desired);
        tick = await handleSchedule(mainConfig, ports(), { mode: 'tick', maxWaitMs: 60_000, only: 'churn' });
        churnAfterTick = structuredClone(churn.state);
        // The test ends here: the job is lost at its next metrics query.
        lost = true;
        return;
      }
      await super.write(desired);
    }
  }
  const fraud = new SlowFraud();
  const healthy = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const metrics: MetricSource = {
    requests: async (w) => {
      if (lost) throw new Error('the runner lost communication with the server');
      return healthy.requests(w);
    },
    value: (q, w) => healthy.value(q, w),
  };
  const ports = (): Ports => ({
    ledger: fileLedger(ledgerPath),
    reader: memoryFileReader({
      [sha('a')]: { 'fraud.yaml': 'version: v1\n', 'churn.yaml': 'version: v1\n' },
      [sha('b')]: { 'fraud.yaml': 'version: v2\n', 'churn.yaml': 'version: v2\n' },
    }),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: (model: ModelConfig) => (model.name === 'fraud' ? fraud : churn),
    metricsFor: () => metrics,
  });
  const opened = {
    action: 'opened' as const,
    number: 7,
    baseSha: sha('a'),
    headSha: sha('b'),
    merged: false,
  };
  await expect(
    handlePullRequest(prConfig, opened, ports(), { mode: 'watch', maxWaitMs: 5 * 60 * MIN, dryRun: false }),
  ).rejects.toThrow('runner lost');
  expect(tick?.skipped).toEqual([
    {
      model: 'churn',
      why: expect.stringMatching(
        /^the job of PR #7 watches v2 until \d\d:\d\d UTC; this tick leaves it to that job$/,
      ),
      kind: 'note',
    },
  ]);
  expect(tick?.releases).toEqual([]);
  expect(churnAfterTick).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 5 } });
});
