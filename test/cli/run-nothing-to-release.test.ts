import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliRunConfig, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';

// `model-gate run release` where no version changes said only "ℹ️ Nothing to release", exit 0: no
// why, and no word of a mistyped source.file, which plan and the action both warn of. The CLI is
// the action's engine: it says the action's why-line, and plan's warning. Nothing is deployed, so
// the sandbox's URL is never asked.
vi.setConfig({ testTimeout: 60_000 });
const TYPO = cliRunConfig().replace(`file: models/${CLI_MODEL}/model.yaml`, 'file: models/fraud/model.yaml');
const env = { SANDBOX_URL: 'http://127.0.0.1:9' };

let repo: GitRepo;
beforeAll(async () => {
  repo = await repoAtV1(cliRunConfig());
  await writeFile(join(repo.dir, '.github', 'alt.yml'), TYPO);
});

const run = (...args: string[]) => runCli(repo.dir, ['run', ...args, '--ledger', 'ledger.json'], env);

describe('model-gate run release that releases nothing', () => {
  it('says why: no declared version changed between the base and head, naming the file it reads', async () => {
    const released = await run('release');
    expect(released.code).toBe(0);
    expect(released.stderr).toBe('');
    expect(released.stdout).toContain(
      `model-gate: ℹ️ Nothing to release\n  no model's declared version changed between the PR's base and head (models/${CLI_MODEL}/model.yaml)\n`,
    );
  });

  it('a source.file in neither base nor head: warned as plan warns it, the why in the report', async () => {
    const plan = await runCli(repo.dir, ['plan', '--config', '.github/alt.yml'], env);
    const warning = plan.stderr.split('\n').find((l) => l.includes('is in neither the base'));
    expect(warning).toBe(
      `warning: .github/alt.yml: models.fraud-detector.source.file: "models/fraud/model.yaml" is in neither the base (${shortHead()}) nor the head (the working tree): no version change of fraud-detector is gated until the path is fixed or the file added`,
    );

    const released = await run('release', '--config', '.github/alt.yml');
    expect(released.code).toBe(0);
    expect(released.stderr).toBe(`${warning}\n`);
    expect(released.stdout).toContain(
      "  no model's declared version changed between the PR's base and head (models/fraud/model.yaml)\n",
    );

    // A committed head: the same warning, naming the commit.
    const committed = await run('reopen', '--head', 'HEAD', '--config', '.github/alt.yml');
    expect(committed.code).toBe(0);
    expect(committed.stderr).toBe(`${warning?.replace('(the working tree)', `(${shortHead()})`)}\n`);
  });

  it('a committed head lacking the file the working tree has: warned, the disk not taken for the head', async () => {
    await mkdir(join(repo.dir, 'models', 'fraud'), { recursive: true });
    await writeFile(join(repo.dir, 'models', 'fraud', 'model.yaml'), 'version: v1\n');
    const committed = await run('release', '--head', 'HEAD', '--config', '.github/alt.yml');
    expect(committed.code).toBe(0);
    expect(committed.stderr).toContain(
      `is in neither the base (${shortHead()}) nor the head (${shortHead()})`,
    );
  });
});

const shortHead = () => repo.git('rev-parse', '--short', 'HEAD').trim();
