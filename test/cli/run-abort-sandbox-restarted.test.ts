import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { cliRunConfig, declareIn, repoAtV1 } from '../support/cli-run-world.js';
import type { GitRepo } from '../support/git-repo.js';

// `model-gate run release` on a sandbox, then that sandbox stopped and a new one started on another
// port: the local ledger records the candidate on the old URL, which no longer answers. Before,
// every run under the new URL (release, close, tick, abort) exited 1 naming the old URL, and an
// abort under the old URL failed to connect: only deleting the ledger got out. Now an abort under
// the new URL ends the record, touching neither sandbox and saying so; the other runs still refuse,
// naming that way out. `model-gate run` as its own process, real sandboxes, a real repository.
vi.setConfig({ testTimeout: 120_000 });
const MODEL = 'fraud-detector';
const CONFIG = cliRunConfig('{ type: canary, steps: [10, 50], step-duration: 10m, interval: 1s }', 0.05);

let repo: GitRepo;
let first: Sandbox;
let second: Sandbox;

const start = () => startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
const serving = async (s: Sandbox) =>
  (await requestJson('GET', `${s.url}/admin/models/${MODEL}/traffic`)).body;
const run = (s: Sandbox, ...args: string[]) => runCli(repo.dir, ['run', ...args], { SANDBOX_URL: s.url });

beforeEach(async () => {
  repo = await repoAtV1(CONFIG);
  await declareIn(repo, 'v2');
  first = await start();
});

afterEach(async () => {
  await Promise.all([first?.close(), second?.close()]);
});

describe('model-gate run after its sandbox restarted on another port', () => {
  it('abort under the new URL ends the record without touching either sandbox; the next release runs there', async () => {
    const released = await run(first, 'release', '--mode', 'tick');
    expect([released.code, released.stderr]).toEqual([0, '']);
    expect(released.code).toBe(0);
    expect(await serving(first)).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
    await first.close();
    second = await start();

    // Runs that are no abort by hand still leave the record alone, naming the way out.
    for (const event of ['close', 'tick']) {
      const refused = await run(second, event);
      expect(refused.code).toBe(1);
      const said = refused.stdout + refused.stderr;
      expect(said).toContain(`candidate v2 was deployed on sandbox ${MODEL} at ${first.url}`);
      expect(said).toContain(`run command: abort (model-gate run abort) for ${MODEL} under this config`);
    }
    expect(await serving(second)).toEqual({ stable: { version: 'v1' } });

    const aborted = await run(second, 'abort');
    expect(aborted.stderr).toBe('');
    expect(aborted.code).toBe(0);
    expect(aborted.stdout).toContain(
      `v2 was deployed on sandbox ${MODEL} at ${first.url}, which this config does not name: its record is ended; nothing was withdrawn there — if sandbox ${MODEL} at ${first.url} still serves v2, withdraw it there`,
    );
    // Said as what it is, not as a withdrawal.
    expect(aborted.stdout).toContain('Record ended by hand: a candidate may still serve on another target');
    expect(aborted.stdout).toContain(`${MODEL} v2 was not withdrawn: aborted`);
    expect(aborted.stdout).not.toContain('v2 was withdrawn');
    expect(await serving(second)).toEqual({ stable: { version: 'v1' } });

    // The ledger no longer holds the new sandbox's runs back: the PR analysed again runs there.
    const reopened = await run(second, 'reopen', '--mode', 'tick');
    expect(reopened.stderr).toBe('');
    expect(reopened.code).toBe(0);
    expect(await serving(second)).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
  });
});
