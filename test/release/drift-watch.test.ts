import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Bucket } from '../../src/metrics/histogram.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { metricsFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { reportTitle, runDecision } from '../../src/report/decision.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { driftWatchYaml } from '../support/model-config.js';

// A schedule tick's drift watch on a stable model, on a fake clock.
const CONFIG = driftWatchYaml('{ window: 1h, reference: 24h, max-psi: 0.2 }');

/** Score histograms: before `shiftAt` centred low, after it as `after` says. */
function scores(shiftAt: number, after: 'same' | 'shifted'): MetricSource {
  const histogram = (shares: number[]): Bucket[] => {
    let sum = 0;
    return shares.map((s, i) => {
      sum += s * 1000;
      return { le: i === shares.length - 1 ? '+Inf' : (i + 1) / 4, count: Math.round(sum) };
    });
  };
  const before = [0.4, 0.3, 0.2, 0.1];
  const shifted = [0.1, 0.2, 0.3, 0.4];
  return {
    requests: async () => 1000,
    value: async () => undefined,
    buckets: async (_q: string, w: MetricWindow) =>
      histogram(w.since >= shiftAt && after === 'shifted' ? shifted : before),
  };
}

async function tick(after: 'same' | 'shifted', dryRun = false) {
  const clock = new FakeClock();
  const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-drift-')), 'ledger.json');
  const ledger = fileLedger(ledgerPath);
  await ledger.record({
    model: 'fraud',
    kind: 'promotion',
    version: 'v2',
    previous: 'v1',
    at: 0,
    pr: 12,
    summary: 'passed',
  });
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({}),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: () => new MemoryTarget({ stable: { version: 'v2' } }),
    metricsFor: () => scores(clock.now() - 3_600_000, after),
  };
  const { config } = parseConfig(CONFIG, {});
  const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun });
  return { result, ledgerFile: JSON.parse(await readFile(ledgerPath, 'utf8')) };
}

describe('the drift watch', () => {
  it('reports drift, records it, fails the run and notes it on the PR that introduced the version', async () => {
    const { result, ledgerFile } = await tick('shifted');
    expect(result.drift?.[0]).toMatchObject({ model: 'fraud', version: 'v2', drifted: true });
    expect(result.drift?.[0]?.note).toMatch(
      /^fraud v2: prediction drift, PSI 0\.\d+ \(level 0\.2\): the last 1h against the 1d before; to roll back: run the workflow with command: rollback, model: fraud \(default back to v1\), or model-gate run rollback --model fraud$/,
    );
    expect(runDecision(result)).toBe('failed');
    expect(reportTitle(result)).toBe('❌ Drift detected');
    expect(result.notify).toEqual([{ pr: 12, model: 'fraud', why: result.drift?.[0]?.note }]);
    expect(ledgerFile.drift).toHaveLength(1);
  });

  it('under dry run, reports the drift but records nothing and notes no PR', async () => {
    const { result, ledgerFile } = await tick('shifted', true);
    expect(result.drift?.[0]).toMatchObject({ model: 'fraud', version: 'v2', drifted: true });
    expect(result.notify).toEqual([]);
    expect(ledgerFile.drift).toBeUndefined();
  });

  it('stays quiet when the predictions look like the reference', async () => {
    const { result, ledgerFile } = await tick('same');
    expect(result.drift?.[0]).toMatchObject({ drifted: false, psi: 0 });
    expect(runDecision(result)).toBe('skipped');
    expect(result.notify).toEqual([]);
    expect(ledgerFile.drift).toBeUndefined();
  });
});

describe('the drift watch during a metrics outage', () => {
  it('reports it inconclusive, naming the model and the source, and the other watches still run', async () => {
    // fraud reads a sandbox that is down (nothing listens on port 1); churn reads its scores fine.
    const text = `${CONFIG}  churn:
    source: { file: c.yaml, key: version }
    gates: []
    drift-watch: { window: 1h, reference: 24h, max-psi: 0.2 }
`;
    const clock = new FakeClock();
    const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-drift-')), 'ledger.json');
    const warnings: string[] = [];
    const ports: Ports = {
      ledger: fileLedger(ledgerPath),
      reader: memoryFileReader({}),
      clock,
      log: { info: () => {}, warn: (m) => warnings.push(m) },
      targetFor: () => new MemoryTarget({ stable: { version: 'v2' } }),
      metricsFor: (m) => (m.name === 'churn' ? scores(clock.now() - 3_600_000, 'shifted') : metricsFor(m)),
    };
    const { config } = parseConfig(text, {});
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });

    const [fraud, churn] = result.drift ?? [];
    expect(fraud).toMatchObject({ model: 'fraud', version: 'v2', drifted: false, inconclusive: true });
    expect(fraud?.note).toMatch(
      /^fraud v2: drift not checked \(inconclusive\): the metrics source sandbox at http:\/\/127\.0\.0\.1:1 could not answer: sandbox metrics unreachable: .+; the next tick looks again$/,
    );
    expect(warnings).toEqual([fraud?.note]);
    // The outage is a warning, not drift: only churn's drift is recorded.
    expect(churn).toMatchObject({ model: 'churn', drifted: true });
    expect(JSON.parse(await readFile(ledgerPath, 'utf8')).drift).toHaveLength(1);
  });
});

describe('a tick whose only drift watch is blind', () => {
  it('says so in its heading: a metrics source down for weeks is no "nothing to release"', async () => {
    // fraud's sandbox is down (nothing listens on port 1): the watch cannot look.
    const clock = new FakeClock();
    const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-drift-')), 'ledger.json');
    const ports: Ports = {
      ledger: fileLedger(ledgerPath),
      reader: memoryFileReader({}),
      clock,
      log: { info: () => {}, warn: () => {} },
      targetFor: () => new MemoryTarget({ stable: { version: 'v2' } }),
      metricsFor,
    };
    const { config } = parseConfig(CONFIG, {});
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });

    expect(result.drift?.[0]).toMatchObject({ inconclusive: true, blind: 'metrics' });
    expect(reportTitle(result)).toBe("⚠️ Drift not checked: fraud's metrics source did not answer");
    // Not a failed run: an outage is no verdict on the model, and the next tick looks again.
    expect(runDecision(result)).toBe('skipped');
  });
});
