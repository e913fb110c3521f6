import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, useCliRunWorld } from '../support/cli-run-world.js';
import { GitRepo } from '../support/git-repo.js';

// `model-gate run` as a user runs it on a laptop: its own process, a real repository, a real
// sandbox with live traffic, and the ledger in a file instead of GitHub.
vi.setConfig({ testTimeout: 90_000 });
const MODEL = CLI_MODEL;
const w = useCliRunWorld();
const { run, declare, serving } = w;

describe('model-gate run', () => {
  it('releases an uncommitted version change, promotes it on merge and rolls it back on command', async () => {
    await declare('v2');
    const released = await run('release');
    expect(released.stderr).toBe('');
    expect(released.code).toBe(0);
    expect(released.stdout).toMatch(/^model-gate: ✅ Ready to merge$/m);
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });

    const merged = await run('merge');
    expect(merged.code).toBe(0);
    expect(merged.stdout).toMatch(/^model-gate: 🚀 Promoted$/m);
    expect(await serving()).toEqual({ stable: { version: 'v2' } });
    const ledger = JSON.parse(await readFile(join(w.repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
    expect(JSON.stringify(ledger)).toContain('"v2"');

    const rolledBack = await run('rollback', '--model', MODEL);
    expect(rolledBack.code).toBe(0);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });

    // Run again at once (a second terminal, a repeated command): it goes no further back, and says so.
    const again = await run('rollback', '--model', MODEL);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^model-gate: ℹ️ Rollback of fraud-detector: nothing changed$/m);
    expect(again.stdout).toMatch(/v2 was rolled back to v1 by model-gate run \d+s ago; nothing changed/);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('fails a faulty version with exit code 1 and leaves stable serving', async () => {
    await declare('v3');
    const bad = await run('release', '--pr', '2');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/errors: [\d.]+% is above the max 2\.00%/);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('refuses bad input with one line and a usage error with exit code 2', async () => {
    expect(await run('deploy')).toMatchObject({ code: 2 });
    await declare('$(id)');
    const hostile = await run('release', '--pr', '3');
    expect(hostile.code).toBe(1);
    expect(hostile.stderr.trim().split('\n')).toHaveLength(1);
    expect(hostile.stderr).toMatch(/^model-gate run: .*models\/fraud-detector\/model\.yaml/);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('names the --to-version flag when refusing a version, before touching the target', async () => {
    const hostile = await run('rollback', '--model', MODEL, '--to-version', '$(id)');
    expect(hostile.stderr).toBe(
      'model-gate run: --to-version: "$(id)" is not a valid version (letters, digits, . _ + - only, at most 128 characters)\n',
    );
    expect(hostile.code).toBe(1);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('shows an unknown --model escaped and cut short, on one line', async () => {
    const unknown = await run('rollback', '--model', `${'x'.repeat(10_000)}\nInjected: yes`);
    expect(unknown.stderr).toBe(
      `model-gate run: model "${'x'.repeat(40)}…" (10014 characters) is not in the config; known models: ${MODEL}\n`,
    );
    expect(unknown.code).toBe(1);
  });

  it('says to check the path given to --config when the config is missing', async () => {
    const missing = await run('status', '--config', 'nope.yml');
    expect(missing.stderr).toBe(
      'model-gate run: nope.yml: config file not found; create it (see docs/configuration.md) or check the path given to --config\n',
    );
    expect(missing.code).toBe(1);
    // Not given: where to give it.
    const bare = await GitRepo.create();
    await bare.commit({ 'README.md': 'no config here\n' });
    const byDefault = await runCli(bare.dir, ['run', 'status']);
    expect(byDefault.stderr).toBe(
      'model-gate run: .github/model-gate.yml: config file not found; create it (see docs/configuration.md) or pass its path with --config PATH\n',
    );
  });

  it('outside a git repository, says to run it in a checkout', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'model-gate-outside-'));
    await mkdir(join(outside, '.github'));
    await writeFile(
      join(outside, '.github', 'model-gate.yml'),
      await readFile(join(w.repo.dir, '.github', 'model-gate.yml')),
    );
    const lost = await runCli(outside, ['run', 'status'], { SANDBOX_URL: w.sandbox.url });
    expect(lost.stderr).toContain(
      'is not inside a git repository: run model-gate in a checkout of the repository',
    );
    expect(lost.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a malformed --pr as a usage error: one line, exit code 2', async () => {
    const bad = await run('release', '--pr', 'two');
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      'model-gate run: --pr: expected a pull request number, got "two" (usage: model-gate run <release|reopen|merge|close|tick|rollback|promote|abort|status> [options])',
    ]);
    expect(bad.code).toBe(2);
  });
});
