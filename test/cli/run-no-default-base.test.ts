import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { cliRunConfig, repoAtV1 } from '../support/cli-run-world.js';

// A repository whose only branch is trunk has none of the bases plan and run look for. The error
// said "no origin/main or main branch", though they try origin/HEAD, origin/main, main,
// origin/master and master (plan --help): it names what was tried, and the flag that gives a base.
vi.setConfig({ testTimeout: 60_000 });
const TRIED =
  'no base branch to compare with: none of origin/HEAD, origin/main, main, origin/master, master is in this repository: pass --base with the branch the pull request merges into';

describe('no default base branch', () => {
  it('plan and run release name the branches they tried and --base', async () => {
    const repo = await repoAtV1(cliRunConfig());
    repo.git('branch', '-m', 'trunk');
    const env = { SANDBOX_URL: 'http://127.0.0.1:9' };
    const plan = await runCli(repo.dir, ['plan'], env);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toBe(`model-gate plan: ${TRIED}\n`);
    const run = await runCli(repo.dir, ['run', 'release'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`model-gate run: ${TRIED}\n`);
    // --base, as it says, and the plan is made.
    expect((await runCli(repo.dir, ['plan', '--base', 'trunk'], env)).code).toBe(0);
  });
});
