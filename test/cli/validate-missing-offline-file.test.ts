import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// A typo in an offline gate's file is a valid config, and every release then fails on it, only
// once a PR runs: validate warns (stderr, exit code still 0), naming the field. A PR or its CI may
// commit the evaluation later, so the warning says so rather than refusing the config.
const config = (evalFile: string) => `version: 1
models:
  fraud-detector:
    source: { file: models/fraud-detector/model.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
      - { name: p99, kind: threshold, query: latency-p99, max-increase: 50% }
      - { name: offline-auc, kind: offline, file: ${evalFile}, key: auc, min: 0.9 }
`;
const F = '.github/model-gate.yml';

let repo: GitRepo;

beforeAll(async () => {
  repo = await GitRepo.create();
  await repo.commit(
    {
      'models/fraud-detector/model.yaml': 'version: v1\n',
      'models/fraud-detector/eval.json': '{"auc": 0.95}\n',
    },
    'models',
  );
});

describe("validate with an offline gate's file that is not in the working tree", () => {
  it('valid (exit 0), with one warning naming the field, the path and the gate', async () => {
    await repo.commit({ [F]: config('models/fraud-detector/evals.json') }, 'typo');
    const run = await runCli(repo.dir, ['validate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`✓ ${F}: 1 model (fraud-detector)\n`);
    expect(run.stderr).toBe(
      `warning: ${F}: models.fraud-detector.gates[2].file: "models/fraud-detector/evals.json" is not in the working tree: check the path; unless each pull request (or its CI) commits the evaluation there, gate offline-auc fails every release of fraud-detector\n`,
    );
  });

  it('no warning once the path is right', async () => {
    await repo.commit({ [F]: config('models/fraud-detector/eval.json') }, 'fixed');
    const run = await runCli(repo.dir, ['validate']);
    expect(run).toEqual({ code: 0, stdout: `✓ ${F}: 1 model (fraud-detector)\n`, stderr: '' });
  });
});
