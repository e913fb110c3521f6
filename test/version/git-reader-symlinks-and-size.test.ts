import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { VersionError } from '../../src/core/errors.js';
import { findChangedModels, gitFileReader } from '../../src/version/changed-models.js';
import { GitOutputTooLarge, runGit } from '../../src/version/git.js';
import { GitRepo } from '../support/git-repo.js';

// The git reader reads a commit as GitHub's contents API does, so the action's two ledgers agree:
// a symlink is followed to the file it names in the repository (never read as its link text, never
// out of the repository), and a file is read up to the 100 MB GitHub serves, no further.
const NAMED = "the config names it as a model's version file or an offline gate's file";
const FIX = 'commit the file itself there, or point the config at the file in the repository';

let repo: GitRepo;
let base: string;
let head: string;

async function link(path: string, target: string) {
  await mkdir(dirname(join(repo.dir, path)), { recursive: true });
  await symlink(target, join(repo.dir, path));
}

beforeAll(async () => {
  repo = await GitRepo.create();
  await link('models/fraud/model.yaml', '../../releases/fraud.yaml');
  base = await repo.commit({ 'releases/fraud.yaml': 'version: 1.0.0\n' }, 'base');
  await link('models/fraud/eval.json', 'runs/42/eval.json');
  await link('latest.json', 'models/fraud/eval.json');
  await link('outside.json', '../../etc/passwd');
  await link('absolute.json', '/etc/passwd');
  await link('dangling.json', 'runs/missing.json');
  await link('folder.json', 'models/fraud/runs');
  await link('loop-a.json', 'loop-b.json');
  await link('loop-b.json', 'loop-a.json');
  head = await repo.commit(
    { 'releases/fraud.yaml': 'version: 1.1.0\n', 'models/fraud/runs/42/eval.json': '{"auc":0.93}\n' },
    'head',
  );
});

describe('gitFileReader on a symlink', () => {
  it('reads the file the link names, relative to its folder, through a chain of links', async () => {
    const reader = gitFileReader(repo.dir);
    expect(await reader.read(head, 'models/fraud/eval.json')).toBe('{"auc":0.93}\n');
    expect(await reader.read(head, 'latest.json')).toBe('{"auc":0.93}\n');
  });

  it("finds a model's version change through its symlinked version file", async () => {
    const config = {
      version: 1,
      models: { fraud: { source: { file: 'models/fraud/model.yaml', key: 'version' } } },
    } as unknown as Config;
    expect(await findChangedModels(config, gitFileReader(repo.dir), base, head)).toStrictEqual([
      { model: 'fraud', from: '1.0.0', to: '1.1.0' },
    ]);
  });

  it.each([
    ['outside.json', '"../../etc/passwd"', 'leads outside the repository'],
    ['absolute.json', '"/etc/passwd"', 'leads outside the repository'],
    ['dangling.json', '"runs/missing.json"', 'leads to no file at main'],
    ['folder.json', '"models/fraud/runs"', 'leads to no file at main'],
    [
      'loop-a.json',
      '"loop-b.json" -> "loop-a.json" -> "loop-b.json" -> "loop-a.json" -> "loop-b.json" -> "loop-a.json"',
      'is a chain of more than 5 symlinks',
    ],
  ])('refuses %s, naming where it leads and what to do', async (path, chain, why) => {
    await expect(gitFileReader(repo.dir).read('main', path)).rejects.toThrow(
      new VersionError(
        `cannot read ${path} at main with git: it is a symlink to ${chain}, which model-gate does not follow as it ${why} (${NAMED}): ${FIX}`,
      ),
    );
  });
});

describe('gitFileReader on a large file', () => {
  it("refuses a file over GitHub's 100 MB, naming the path, the ref and the limit", async () => {
    const big = join(repo.dir, 'models/fraud/predictions.json');
    await writeFile(big, Buffer.alloc(101 * 1024 * 1024, 'a'));
    await repo.commit({}, 'predictions');
    await rm(big);
    await expect(gitFileReader(repo.dir).read('main', 'models/fraud/predictions.json')).rejects.toThrow(
      new VersionError(
        "cannot read models/fraud/predictions.json at main with git: it is 101.0 MB, and model-gate reads files up to 100 MB, as GitHub's contents API serves them: keep the file the config names under 100 MB",
      ),
    );
  });

  it('says output over its cap is too large, not that git cannot run', async () => {
    const error = await runGit(repo.dir, ['show', `${head}:releases/fraud.yaml`], { maxBuffer: 4 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitOutputTooLarge);
    expect(error).toBeInstanceOf(VersionError);
  });
});
