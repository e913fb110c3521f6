import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { deployScriptRepo, releaseHeld, startRun, until } from '../support/deploy-script-repo.js';
import type { GitRepo } from '../support/git-repo.js';
import { alive } from '../support/processes.js';

// A second Ctrl-C stops `model-gate run` at once. A command target's program under way then (in a
// process group of its own: the terminal's Ctrl-C never reaches it) must be stopped with the run:
// left running, it lands its traffic change after the run exited, even after the `run abort` the
// run named withdrew the candidate, which then serves while the ledger says it was withdrawn.
// A first Ctrl-C still lets the change finish, then withdraws the candidate through the same runner.
vi.setConfig({ testTimeout: 60_000 });
const MODEL = 'fraud-detector';
// A deploy tool: `read` prints the state it keeps; `apply` keeps the state it is given. With a file
// `hold` present, an apply giving a candidate traffic first waits for a file `go` (a platform slow
// to answer), its pid in apply.pid.
const DEPLOY = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const [what, stable, candidate, weight] = process.argv.slice(2);
if (what === 'read') {
  console.log(existsSync('state.json') ? readFileSync('state.json', 'utf8') : JSON.stringify({ stable: { version: 'v1' } }));
} else {
  if (candidate && existsSync('hold')) {
    writeFileSync('apply.pid', String(process.pid));
    const given = Date.now() + 60_000;
    while (!existsSync('go') && Date.now() < given) await new Promise((r) => setTimeout(r, 50));
  }
  const canary = candidate ? { canary: { version: candidate, weight: Number(weight) } } : {};
  writeFileSync('state.json', JSON.stringify({ stable: { version: stable }, ...canary }));
}
`;

let repo: GitRepo;
const at = (file: string) => join(repo.dir, file);
const serving = async () => JSON.parse(await readFile(at('state.json'), 'utf8')) as unknown;

/** A release whose first traffic change is held at the platform; the pid of the apply under way. */
async function releaseHeldAtApply() {
  const run = await startRun(repo.dir, ['release', '--pr', '3']);
  await until(() => existsSync(at('apply.pid')));
  return { run, apply: Number(await readFile(at('apply.pid'), 'utf8')) };
}

let held: number | undefined;
beforeAll(async () => {
  repo = await deployScriptRepo(MODEL, 'http://127.0.0.1:9/check', DEPLOY);
});
beforeEach(async () => {
  for (const file of ['.model-gate', 'state.json', 'apply.pid', 'go'])
    await rm(at(file), { recursive: true, force: true });
  await writeFile(at('hold'), '');
});
// Never left waiting, whatever the test found.
afterEach(() => releaseHeld(repo.dir, held));
afterAll(async () => {
  if (repo) await rm(repo.dir, { recursive: true, force: true });
});

it('a second Ctrl-C stops the traffic change under way: it never lands after the run and its abort', async () => {
  const { run, apply } = await releaseHeldAtApply();
  held = apply;
  run.kill('SIGINT');
  await until(() => run.out.stderr.includes('stopping on Ctrl-C (SIGINT)'));
  run.kill('SIGINT');
  const [code] = await run.exited;
  const outlived = alive(apply);
  expect(code).toBe(130);

  // The command the run named withdraws the candidate, and says so.
  const abort = await runCli(repo.dir, ['run', 'abort', '--model', MODEL]);
  expect(abort.stdout).toContain(`${MODEL} v2 was withdrawn: aborted by model-gate run; v1 serves`);
  expect(abort.code).toBe(0);
  // The platform answers now: a change still under way would land (it did: canary v2 at 50%).
  await writeFile(at('go'), '');
  await until(() => !alive(apply));
  expect(await serving()).toEqual({ stable: { version: 'v1' } });
  // Nothing the run started outlived it, and it said what it stopped.
  expect(outlived).toBe(false);
  expect(run.out.stderr).toContain(
    `the candidate of ${MODEL} may still get live traffic: model-gate run abort --model ${MODEL} withdraws it (model-gate run status shows what serves); the platform command under way was stopped\n`,
  );
});

it('a single Ctrl-C lets the traffic change finish, then withdraws the candidate it put live', async () => {
  const { run, apply } = await releaseHeldAtApply();
  held = apply;
  run.kill('SIGINT');
  await until(() => run.out.stderr.includes('stopping on Ctrl-C (SIGINT)'));
  await writeFile(at('go'), '');
  const [code] = await run.exited;
  expect(code).toBe(130);
  expect(run.out.stderr).toContain(`model-gate run: stopped by Ctrl-C (SIGINT): ${MODEL} v2 withdrawn`);
  expect(await serving()).toEqual({ stable: { version: 'v1' } });
});
