import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// A typo in source.file is a valid config, and plan then says only "nothing to release": validate
// is where the user looks, so it warns (stderr, exit code still 0), naming the model and the path.
const config = (fraudFile: string) => `version: 1
models:
  fraud-detector:
    source: { file: ${fraudFile}, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
  churn:
    source: { file: models/churn.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
`;
const F = '.github/model-gate.yml';

let repo: GitRepo;

beforeAll(async () => {
  repo = await GitRepo.create();
  await repo.commit(
    { 'models/fraud.yaml': 'version: v1\n', 'models/churn.yaml': 'version: v1\n', 'docs/x.md': 'x\n' },
    'models',
  );
});

describe('validate with a version file that is not in the working tree', () => {
  it('valid (exit 0), with one warning naming the model, the field and the path', async () => {
    await repo.commit({ [F]: config('models/fraud.yml') }, 'typo');
    const run = await runCli(repo.dir, ['validate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`✓ ${F}: 2 models (fraud-detector, churn)\n`);
    expect(run.stderr).toBe(
      `warning: ${F}: models.fraud-detector.source.file: "models/fraud.yml" is not in the working tree: check the path; a pull request that does not add it releases nothing for fraud-detector\n`,
    );
  });

  it('from a subfolder, with the config path given: the path is still read from the repository top', async () => {
    const run = await runCli(`${repo.dir}/docs`, ['validate', `../${F}`]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^warning: \.\.\/\.github\/model-gate\.yml: models\.fraud-detector\.source\.file: /,
    );
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('no warning once the path is right', async () => {
    await repo.commit({ [F]: config('models/fraud.yaml') }, 'fixed');
    const run = await runCli(repo.dir, ['validate']);
    expect(run).toEqual({ code: 0, stdout: `✓ ${F}: 2 models (fraud-detector, churn)\n`, stderr: '' });
  });
});
