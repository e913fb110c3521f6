import { describe, expect, it } from 'vitest';
import { checkOffline, type OfflineChange } from '../../src/gates/offline-gate.js';
import { measureThreshold } from '../../src/gates/threshold-gate.js';
import { gitFileReader } from '../../src/version/changed-models.js';
import { firstMinuteLook } from '../support/first-minute-look.js';
import { GitRepo } from '../support/git-repo.js';
import { thresholdGate } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A value just past its bound must not read as equal to it ("0.9100 is below the min 0.9100").
const EVAL = 'models/fraud/eval.json';

/** An offline gate judging `evaluation` as the PR's own, in a real git repository. */
async function judgeOffline(key: string, bounds: { min?: number; max?: number }, evaluation: string) {
  const repo = await GitRepo.create();
  const base = await repo.commit({ 'fraud.yaml': 'version: v1\n' }, 'base');
  const head = await repo.commit({ 'fraud.yaml': 'version: v2\n', [EVAL]: evaluation }, 'the PR');
  const change: OfflineChange = { base, head, version: 'v2' };
  const gate = { kind: 'offline' as const, name: key, file: EVAL, key, ...bounds };
  return checkOffline(gate, gitFileReader(repo.dir), change, 0);
}

const thresholdLook = (max: number, canary: number, stable = canary) =>
  measureThreshold(
    thresholdGate({ name: 'errors', query: 'error-rate', max }),
    firstMinuteLook(
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': stable } },
        canary: { rps: 10, values: { 'error-rate': canary } },
      }),
      10,
    ),
  );

describe('a value just past its bound', () => {
  it('reads apart from the min it is below in an offline gate', async () => {
    const auc = await judgeOffline('auc', { min: 0.91 }, '{"auc": 0.909996}\n');
    expect(auc.verdict).toBe('fail');
    expect(auc.last?.note).toBe('0.909996 is below the min 0.910000');
  });

  it('reads apart from the max it is above, as a percent, in an offline and a threshold gate', async () => {
    const offline = await judgeOffline('error_rate', { max: 0.02 }, '{"error_rate": 0.020004}\n');
    expect(offline.last?.note).toBe('2.0004% is above the max 2.0000%');
    const live = await thresholdLook(0.02, 0.020004);
    expect(live).toMatchObject({ verdict: 'fail', note: '2.0004% is above the max 2.0000%' });
  });

  it('keeps the usual digits where they already tell the value from its bound', async () => {
    const auc = await judgeOffline('auc', { min: 0.91 }, '{"auc": 0.87}\n');
    expect(auc.last?.note).toBe('0.8700 is below the min 0.9100');
    expect((await thresholdLook(0.02, 0.12)).note).toBe('12.00% is above the max 2.00%');
  });

  it('reads apart from the baseline and the allowed increase it is past', async () => {
    const gate = thresholdGate({ name: 'errors', query: 'error-rate', maxIncrease: 0.05 });
    const metrics = new ScriptedMetrics({
      stable: { rps: 90, values: { 'error-rate': 0.02 } },
      canary: { rps: 10, values: { 'error-rate': 0.021002 } },
    });
    const look = await measureThreshold(gate, firstMinuteLook(metrics, 10));
    expect(look).toMatchObject({
      verdict: 'fail',
      note: '2.10% is 5.01% over the baseline 2.00% (max +5%)',
    });
  });
});
