import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { shiftedScores } from '../support/shifted-scores.js';

// A schedule tick has a part per model: reading its release, driving it, retiring its blue, its
// drift watch. A defect (a TypeError: no failure class model-gate knows) in one model's part used
// to stop the whole run there, so the models after it were not driven, retired or watched, on
// every tick. Now the others have their tick, the defect is reported naming the model, only a
// candidate that may be live is withdrawn for it, and the run still fails at the end.
// Four models, in this order: fraud and churn each with a PR's candidate v2 at 10%; ranker, a
// blue-green v2 promoted 2 days ago with blue v1 kept warm (its rollback-window, 1h, is over);
// scorer, stable v5, whose predictions drifted. Memory targets, a file ledger, a fake clock.
const HOUR = 3_600_000;
const GATES = `gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }`;
const WATCH = 'drift-watch: { window: 1h, reference: 24h, max-psi: 0.2 }';
const YAML = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    ${GATES}
  churn:
    source: { file: churn.yaml, key: version }
    ${GATES}
  ranker:
    source: { file: ranker.yaml, key: version }
    strategy: { type: blue-green, bake-duration: 10m, rollback-window: 1h, min-requests: 100, interval: 30s }
    ${GATES}
    ${WATCH}
  scorer:
    source: { file: scorer.yaml, key: version }
    ${GATES}
    ${WATCH}
`;
const DEFECT = "Cannot read properties of undefined (reading 'version')";
const CANARY = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const STEP_2 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };
const BLUE_KEPT = { stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } };
const sha = (c: string) => c.repeat(40);

/** A memory target whose next `readDefects` reads throw a TypeError. */
class DefectiveTarget extends MemoryTarget {
  readDefects = 0;
  override async read(): Promise<TrafficState> {
    if (this.readDefects > 0) {
      this.readDefects--;
      throw new TypeError(DEFECT);
    }
    return super.read();
  }
}

/** Prediction histograms of a stable model: the last hour shifted against the day before when `drifted`. */
const scores = (clock: FakeClock, drifted: boolean): MetricSource =>
  shiftedScores((w) => drifted && w.since >= clock.now() - HOUR);

interface Defects {
  /** The ledger throws a TypeError reading fraud's release. */
  fraudRelease?: true;
  /** fraud's target throws a TypeError on its next read (the tick's look at its live traffic). */
  fraudRead?: true;
  /** ranker's target throws a TypeError on its next read (retiring its blue). */
  rankerRead?: true;
  /** ranker's metric source throws a TypeError for its drift watch. */
  rankerDrift?: true;
}

async function world() {
  const { config } = parseConfig(YAML, {});
  const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-tick-defects-')), 'ledger.json');
  const ledger = fileLedger(ledgerPath);
  const clock = new FakeClock();
  const targets: Record<string, DefectiveTarget> = {
    fraud: new DefectiveTarget({ stable: { version: 'v1' } }),
    churn: new DefectiveTarget({ stable: { version: 'v1' } }),
    ranker: new DefectiveTarget(BLUE_KEPT),
    scorer: new DefectiveTarget({ stable: { version: 'v5' } }),
  };
  const healthy = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const warnings: string[] = [];
  const ports = (defects: Defects = {}): Ports => ({
    ledger: defects.fraudRelease ? failingToRead(ledger, 'fraud') : ledger,
    reader: memoryFileReader({
      [sha('a')]: { 'fraud.yaml': 'version: v1\n', 'churn.yaml': 'version: v1\n' },
      [sha('b')]: { 'fraud.yaml': 'version: v2\n', 'churn.yaml': 'version: v2\n' },
    }),
    clock,
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    targetFor: (model: ModelConfig) => targets[model.name] as DefectiveTarget,
    metricsFor: (model: ModelConfig) => {
      if (model.name === 'ranker' && defects.rankerDrift)
        return { ...scores(clock, false), buckets: async () => Promise.reject(new TypeError(DEFECT)) };
      if (model.name === 'ranker') return scores(clock, false);
      if (model.name === 'scorer') return scores(clock, true);
      return healthy;
    },
  });
  // PR #7 deploys fraud's and churn's v2 at 10% and leaves them to the ticks.
  const opened = { action: 'opened', number: 7, baseSha: sha('a'), headSha: sha('b'), merged: false };
  await handlePullRequest(config, opened, ports(), { mode: 'tick', maxWaitMs: 0, dryRun: false });
  // Promoted 2 days ago: ranker's rollback-window is over, and each watch's reference (24h) holds
  // the version's own predictions only.
  const promoted = { kind: 'promotion' as const, at: clock.now() - 48 * HOUR, summary: 'passed' };
  await ledger.record({ ...promoted, model: 'ranker', version: 'v2', previous: 'v1', pr: 5 });
  await ledger.record({ ...promoted, model: 'scorer', version: 'v5', previous: 'v4', pr: 6 });
  for (const model of ['fraud', 'churn']) expect(targets[model]?.state).toEqual(CANARY);
  clock.advance(20_000);

  /** One schedule tick with `defects`; the warnings it wrote. */
  async function tick(defects: Defects = {}) {
    warnings.length = 0;
    if (defects.fraudRead) (targets.fraud as DefectiveTarget).readDefects = 1;
    if (defects.rankerRead) (targets.ranker as DefectiveTarget).readDefects = 1;
    for (const t of Object.values(targets)) t.writes = [];
    return handleSchedule(config, ports(defects), { mode: 'tick', maxWaitMs: 0 });
  }
  const drifts = async () =>
    ((JSON.parse(await readFile(ledgerPath, 'utf8')).drift ?? []) as { model: string }[]).map((d) => d.model);
  return { ledger, targets, warnings, tick, drifts };
}

/** `ledger`, throwing a TypeError when asked which release holds `model`'s canary slot. */
function failingToRead(ledger: Ledger, model: string): Ledger {
  return {
    ...ledger,
    canaryHolder: async (name) => {
      if (name === model) throw new TypeError(DEFECT);
      return ledger.canaryHolder(name);
    },
  };
}

/** What every case expects of the models without a defect: each had its tick. */
async function othersHadTheirTick(w: Awaited<ReturnType<typeof world>>) {
  // churn, after fraud: its tick passed step 1 and moved it to 50%.
  expect(w.targets.churn?.state).toEqual(STEP_2);
  expect(await w.ledger.release('churn')).toMatchObject({ status: 'analysing', phase: 1 });
  // scorer, last: its drift was recorded.
  expect(await w.drifts()).toEqual(['scorer']);
}

describe('a schedule tick meeting a defect in one model’s part', () => {
  it('reading its release: that model is left as it is, the others have their tick, the run fails', async () => {
    const w = await world();
    await expect(w.tick({ fraudRelease: true })).rejects.toThrow(DEFECT);
    await othersHadTheirTick(w);
    // Nothing known of fraud's release: nothing of it touched.
    expect(w.targets.fraud?.writes).toEqual([]);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'analysing', phase: 0 });
    expect(w.warnings).toContain(
      `fraud: model-gate stopped on an unexpected error reading its release: ${DEFECT}; this tick leaves fraud as it is; please report it`,
    );
    expect(w.targets.ranker?.state).toEqual({ stable: { version: 'v2' } });

    // The next tick, without the defect, drives fraud too.
    await w.tick();
    expect(w.targets.fraud?.state).toEqual(STEP_2);
  });

  it('looking at its live traffic before driving it: its release ends with v2 withdrawn, the others have their tick, the run fails', async () => {
    const w = await world();
    await expect(w.tick({ fraudRead: true })).rejects.toThrow(DEFECT);
    await othersHadTheirTick(w);
    expect(w.targets.fraud?.state).toEqual({ stable: { version: 'v1' } });
    const reason = `model-gate stopped on an unexpected error: ${DEFECT}; v2 withdrawn; please report it`;
    const fraud = await w.ledger.release('fraud');
    expect(fraud).toMatchObject({ status: 'aborted', reason });
    expect(fraud?.withdrawPending).toBeUndefined();
    expect(w.warnings).toContain(`fraud: ${reason}`);
    expect(await w.ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('retiring blue: what serves is left as it is, the others have their tick, the run fails', async () => {
    const w = await world();
    await expect(w.tick({ rankerRead: true })).rejects.toThrow(DEFECT);
    await othersHadTheirTick(w);
    expect(w.targets.ranker?.writes).toEqual([]);
    expect(w.targets.ranker?.state).toEqual(BLUE_KEPT);
    expect(w.warnings).toContain(
      `ranker: model-gate stopped on an unexpected error retiring blue: ${DEFECT}; what serves is left as it is; please report it`,
    );

    // The next tick retires it.
    await w.tick();
    expect(w.targets.ranker?.state).toEqual({ stable: { version: 'v2' } });
  });

  it('in a drift watch: no traffic change, the others have their tick, the run fails', async () => {
    const w = await world();
    await expect(w.tick({ rankerDrift: true })).rejects.toThrow(DEFECT);
    await othersHadTheirTick(w);
    // ranker's blue was retired before its watch; nothing else was written.
    expect(w.targets.ranker?.writes).toEqual([{ stable: { version: 'v2' } }]);
    expect(w.warnings).toContain(
      `ranker: drift not checked (inconclusive): model-gate stopped on an unexpected error: ${DEFECT}; please report it`,
    );
  });

  it('without a defect, the tick does the same and does not fail', async () => {
    const w = await world();
    const result = await w.tick();
    expect(w.targets.fraud?.state).toEqual(STEP_2);
    expect(w.targets.ranker?.state).toEqual({ stable: { version: 'v2' } });
    await othersHadTheirTick(w);
    expect(result.drift).toMatchObject([
      { model: 'ranker', drifted: false },
      { model: 'scorer', drifted: true },
    ]);
    expect(w.warnings.filter((m) => m.includes('please report it'))).toEqual([]);
  });
});
