import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// Bad input on the command line, as a user meets it: model-gate's own process in a real
// repository, one line on stderr saying what to change. Nothing is deployed: the sandbox's
// address answers nothing.
const RUN = 'usage: model-gate run <release|reopen|merge|close|tick|rollback|promote|abort|status> [options]';
const CONFIG = `version: 1
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
`;

let repo: GitRepo;
const cli = (...args: string[]) => runCli(repo.dir, args);

beforeAll(async () => {
  repo = await GitRepo.create();
  await repo.commit({ '.github/model-gate.yml': CONFIG, 'models/fraud.yaml': 'version: v1\n' }, 'v1');
  repo.git('switch', '-q', '-c', 'feature');
});

describe('run --max-wait', () => {
  it('0s: refused as no time at all (exit 2), not as a malformed duration', async () => {
    expect(await cli('run', 'release', '--max-wait', '0s')).toEqual({
      code: 2,
      stdout: '',
      stderr: `model-gate run: --max-wait: expected a duration longer than 0s, such as "500ms", "30s", "10m", "1h30m" or "2d", got "0s": give the longest the run may watch, or use mode tick for one pass that does not wait (${RUN})\n`,
    });
  });

  it('10: told to add a unit, in the words the config uses (exit 2)', async () => {
    expect(await cli('run', 'release', '--max-wait', '10')).toEqual({
      code: 2,
      stdout: '',
      stderr: `model-gate run: --max-wait: expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d", got the bare number 10 (add a unit: ms, s, m, h or d) (${RUN})\n`,
    });
  });
});

describe('run with a model name one letter off', () => {
  it.each(['status', 'rollback', 'abort'])('%s suggests the model the config has (exit 1)', async (event) => {
    const run = await cli('run', event, '--model', 'fraud-detectr');
    expect(run.stderr).toBe(
      'model-gate run: model "fraud-detectr" is not in the config (did you mean "fraud-detector"?); known models: fraud-detector\n',
    );
    expect(run.code).toBe(1);
  });
});

describe('plan on a version written as YAML binary', () => {
  it('calls it binary data, not a mapping', async () => {
    const file = join(repo.dir, 'models/fraud.yaml');
    await writeFile(file, 'version: !!binary aGVsbG8=\n');
    try {
      const run = await cli('plan');
      expect(run.stderr).toBe(
        'model-gate plan: models/fraud.yaml: key "version": binary data is not a valid version (letters, digits, . _ + - only, at most 128 characters)\n',
      );
      expect(run.code).toBe(1);
    } finally {
      await writeFile(file, 'version: v1\n');
    }
  });
});
