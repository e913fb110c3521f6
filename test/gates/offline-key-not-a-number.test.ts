import { describe, expect, it } from 'vitest';
import { checkOffline, type OfflineChange } from '../../src/gates/offline-gate.js';
import { gitFileReader } from '../../src/version/changed-models.js';
import { GitRepo } from '../support/git-repo.js';

// What the gate's key found instead of a number, so the PR author knows what to fix.
const EVAL = 'models/fraud/eval.json';

async function noteFor(key: string, evaluation: string): Promise<string | undefined> {
  const repo = await GitRepo.create();
  const base = await repo.commit({ 'fraud.yaml': 'version: v1\n' }, 'base');
  const head = await repo.commit({ 'fraud.yaml': 'version: v2\n', [EVAL]: evaluation }, 'the PR');
  const change: OfflineChange = { base, head, version: 'v2' };
  const gate = { kind: 'offline' as const, name: 'auc', file: EVAL, key, min: 0.9 };
  const state = await checkOffline(gate, gitFileReader(repo.dir), change, 0);
  expect(state.verdict).toBe('fail');
  return state.last?.note;
}

describe('an offline gate whose key holds no number', () => {
  it('says the key is absent, and which keys the file has', async () => {
    expect(await noteFor('auc', '{"accuracy": 0.97, "f1": 0.9, "roc_auc": 0.95}\n')).toBe(
      `${EVAL}: key "auc" is not there: the file has no "auc" (it has "accuracy", "f1", "roc_auc"); fix the gate's key or write "auc" in the evaluation`,
    );
    expect(await noteFor('metrics.auc', 'metrics:\n  AUC: 0.95\n')).toBe(
      `${EVAL}: key "metrics.auc" is not there: "metrics" has no "auc" (it has "AUC"); fix the gate's key or write "metrics.auc" in the evaluation`,
    );
  });

  it('says a number written as a string is one, and to write it as a number', async () => {
    expect(await noteFor('auc', '{"auc": "0.95"}\n')).toBe(
      `${EVAL}: key "auc" is the string "0.95", not a number: write it as a number, without quotes (auc: 0.95)`,
    );
  });

  it("says a bare NaN or Infinity (Python's json.dump of a NaN metric) is that, not a string", async () => {
    for (const [written, shown] of [
      ['NaN', 'NaN'],
      ['Infinity', 'Infinity'],
      ['-Infinity', '-Infinity'],
    ])
      expect(await noteFor('auc', `{"auc": ${written}, "note": "NaN"}\n`)).toBe(
        `${EVAL}: key "auc" is ${shown}, not a finite number: write the evaluation's auc as a number`,
      );
  });

  it('says what was found where the number belongs: null, a list', async () => {
    expect(await noteFor('auc', '{"auc": null}\n')).toBe(
      `${EVAL}: key "auc" is null, not a number: write the evaluation's auc as a number`,
    );
    expect(await noteFor('auc', '{"auc": [0.95]}\n')).toBe(
      `${EVAL}: key "auc" is a list, not a number: write the evaluation's auc as a number`,
    );
  });
});
