import { describe, expect, it } from 'vitest';
import { checkOffline, type OfflineChange } from '../../src/gates/offline-gate.js';
import { gitFileReader } from '../../src/version/changed-models.js';
import { GitRepo } from '../support/git-repo.js';

// A typo in an offline gate's `file` (evals.json for eval.json) and an evaluation never committed
// look alike to the gate: its failure names the config field to fix, and the head it read.
const gate = {
  kind: 'offline' as const,
  name: 'offline-auc',
  file: 'models/fraud-detector/evals.json',
  key: 'auc',
  min: 0.9,
};

async function missingFile(at?: OfflineChange['at']) {
  const repo = await GitRepo.create();
  const base = await repo.commit({ 'fraud.yaml': 'version: v1\n' }, 'base');
  const head = await repo.commit(
    { 'fraud.yaml': 'version: v2\n', 'models/fraud-detector/eval.json': '{"auc": 0.95}\n' },
    'the PR',
  );
  const change: OfflineChange = { base, head, version: 'v2', ...(at ? { at } : {}) };
  return { head, state: await checkOffline(gate, gitFileReader(repo.dir), change, 0) };
}

describe("an offline gate whose file is not in the PR's head", () => {
  it('fails, naming the field, the path, the head and what to do', async () => {
    const { head, state } = await missingFile({ model: 'fraud-detector', index: 2 });
    expect(state.verdict).toBe('fail');
    expect(state.reason).toBe(
      `offline-auc: models.fraud-detector.gates[2].file: models/fraud-detector/evals.json does not exist in the PR's head (${head.slice(0, 7)}): fix the path or commit the evaluation`,
    );
  });

  it('says the same without its place in the config, as "the gate\'s file"', async () => {
    const { head, state } = await missingFile();
    expect(state.verdict).toBe('fail');
    expect(state.last?.note).toBe(
      `the gate's file models/fraud-detector/evals.json does not exist in the PR's head (${head.slice(0, 7)}): fix the path or commit the evaluation`,
    );
  });
});
