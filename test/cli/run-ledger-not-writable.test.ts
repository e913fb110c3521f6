/**
 * `model-gate run rollback` with a ledger it cannot write changed the platform first, then failed
 * ("the rollback from v1 took, but recording it failed (… permission denied …); once that is fixed,
 * re-run this job …"): a change on the platform with nothing on record, and advice meant for
 * GitHub. A ledger the run cannot write is now refused before any traffic changes, naming --ledger;
 * one under /proc, where a run spun forever making its folder, too. A record that fails all the
 * same, once the change landed (another run holding the lock too long), says the command that
 * records it, and that command does.
 */
import { mkdir, mkdtemp, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliRunConfig, cliServing, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import { nobodyCanRun, openTo, runCliProcess } from './cli-without-root.js';

vi.setConfig({ testTimeout: 60_000 });

let sandbox: Sandbox;
let dir: string;
const env = () => ({ SANDBOX_URL: sandbox.url });
const serving = () => cliServing(sandbox.url);

beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: CLI_MODEL, stable: 'v1' }] });
  dir = await mkdtemp(join(tmpdir(), 'model-gate-ledger-unwritable-'));
  await openTo(dir);
  await writeFile(join(dir, 'model-gate.yml'), cliRunConfig());
});
afterAll(() => sandbox?.close());

/** A ledger in `folder` (made here) where v1 replaced v2: a rollback goes back to v2. */
async function promotedV1(folder: string): Promise<string> {
  await mkdir(join(dir, folder));
  const promotion = {
    model: CLI_MODEL,
    kind: 'promotion',
    version: 'v1',
    previous: 'v2',
    at: Date.now() - 3_600_000,
  };
  const ledger = {
    version: 1,
    releases: {},
    history: [{ ...promotion, pr: 1, summary: 'promoted by PR #1' }],
  };
  await writeFile(join(dir, folder, 'ledger.json'), `${JSON.stringify(ledger, null, 2)}\n`);
  return `${folder}/ledger.json`;
}

const rollback = ['run', 'rollback', '--model', CLI_MODEL, '--config', 'model-gate.yml', '--ledger'];

describe('model-gate run with a ledger it cannot write', () => {
  it.skipIf(!nobodyCanRun)('refuses a rollback before it changes any traffic, naming --ledger', async () => {
    const ledger = await promotedV1('read-only');
    // Readable, not writable, by a user without root.
    await openTo(join(dir, 'read-only'));
    const before = await readFile(join(dir, ledger), 'utf8');

    const run = await runCliProcess(dir, [...rollback, ledger], { env: env(), withoutRoot: true });
    expect(run.stderr).toBe(
      `model-gate run: the ledger ${ledger}: permission denied to write it: give a path you can write with --ledger PATH (nothing was changed)\n`,
    );
    expect(run.code).toBe(1);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(await readFile(join(dir, ledger), 'utf8')).toBe(before);
  });

  it('refuses a release whose ledger is under /proc at once, where it spun making the folder', async () => {
    const repo = await repoAtV1(cliRunConfig());
    await declareIn(repo, 'v3');
    const ledger = '/proc/model-gate-ledger/ledger.json';
    const run = await runCliProcess(repo.dir, ['run', 'release', '--ledger', ledger], { env: env() });
    expect(run.stderr).toBe(
      `model-gate run: cannot write the ledger ${ledger}: ENOENT: no such file or directory, mkdir '/proc/model-gate-ledger': give a path you can write with --ledger PATH (nothing was changed)\n`,
    );
    expect(run.code).toBe(1);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('says which command records a rollback whose record failed, and that command records it', async () => {
    const ledger = await promotedV1('locked');
    // Another run holds the ledger's lock (this process, alive): the rollback's record waits 10 s, then gives up.
    const lock = join(dir, `${ledger}.lock`);
    await writeFile(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }),
    );

    const run = await runCli(dir, [...rollback, ledger], env());
    expect(run.stderr).toMatch(
      /^model-gate run: fraud-detector now serves v2: the rollback from v1 took, but recording it failed \(the lock .* is still held by process \d+ .*\), so the ledger's record may still have v1 serving; once that is fixed, run `model-gate run rollback` again: it records the rollback and changes no traffic\n$/,
    );
    expect(run.code).toBe(1);
    expect(await serving()).toEqual({ stable: { version: 'v2' } });

    await unlink(lock);
    const again = await runCli(dir, [...rollback, ledger], env());
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toContain('the rollback v1 -> v2 is recorded now, and no traffic changed');
    expect(await serving()).toEqual({ stable: { version: 'v2' } });
    const { history } = JSON.parse(await readFile(join(dir, ledger), 'utf8'));
    expect(history.at(-1)).toMatchObject({ kind: 'rollback', version: 'v2', previous: 'v1' });
  });
});
