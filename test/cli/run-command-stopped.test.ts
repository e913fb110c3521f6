import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import {
  deployScriptRepo,
  releaseHeld,
  startRun as startRunIn,
  until,
} from '../support/deploy-script-repo.js';
import type { GitRepo } from '../support/git-repo.js';
import { alive } from '../support/processes.js';

// Ctrl-C (SIGTERM, SIGHUP) on `model-gate run rollback`, `promote` or `abort`: the platform command
// under way runs in a process group of its own, out of the terminal's reach. The run ended at once
// saying nothing, and the command landed its change seconds later with nothing on record. Now the
// run stops that command with it, and says what may have changed and what records it.
// And a `run merge` stopped while its promotion waits to be confirmed said "this run left no
// candidate with live traffic", of a candidate that may serve all traffic, its promotion pending.
vi.setConfig({ testTimeout: 60_000 });
const MODEL = 'fraud-detector';
// A deploy tool: `read` prints the state it keeps (else v1 serves); `apply` keeps the state it is
// given. With a file `hold`, an apply first waits for a file `go` (a platform slow to answer), its
// pid in apply.pid. With a file `reads-fail-after-promotion`, reads fail once a stable-only apply
// of v2 landed (a platform still updating after a promotion).
const DEPLOY = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const [what, stable, candidate, weight] = process.argv.slice(2);
if (what === 'read') {
  if (existsSync('reads-fail')) { console.error('error: the endpoint is updating'); process.exit(1); }
  console.log(existsSync('state.json') ? readFileSync('state.json', 'utf8') : JSON.stringify({ stable: { version: 'v1' } }));
} else {
  if (existsSync('hold')) {
    writeFileSync('apply.pid', String(process.pid));
    const given = Date.now() + 60_000;
    while (!existsSync('go') && Date.now() < given) await new Promise((r) => setTimeout(r, 50));
  }
  const canary = candidate ? { canary: { version: candidate, weight: Number(weight) } } : {};
  writeFileSync('state.json', JSON.stringify({ stable: { version: stable }, ...canary }));
  if (existsSync('reads-fail-after-promotion') && !candidate && stable === 'v2') writeFileSync('reads-fail', '');
}
`;

let repo: GitRepo;
let hook: Server;
let hookUrl: string;
const at = (file: string) => join(repo.dir, file);
const serving = async () => JSON.parse(await readFile(at('state.json'), 'utf8')) as unknown;
const run = (args: string[]) => runCli(repo.dir, ['run', ...args], { HOOK_URL: hookUrl });

const startRun = (args: string[]) => startRunIn(repo.dir, args, { HOOK_URL: hookUrl });

/** `model-gate run ARGS`, signalled once its platform command is held at the platform. */
async function stoppedAtApply(args: string[], signal: NodeJS.Signals) {
  await writeFile(at('hold'), '');
  const started = await startRun(args);
  await until(() => existsSync(at('apply.pid')));
  held = Number(await readFile(at('apply.pid'), 'utf8'));
  started.kill(signal);
  const [code] = await started.exited;
  return { code, stderr: started.out.stderr, apply: held };
}

/** PR 1's candidate v2, analysed and ready to merge (the approval passes). */
async function readyToMerge() {
  const released = await run(['release', '--pr', '1']);
  expect(released.stdout).toContain('ready');
  expect(released.code).toBe(0);
}

/**
 * `model-gate run ARGS` on PR 1's candidate ready to merge, signalled at its platform command: what
 * it said, whether that command outlived it, and what served before.
 */
async function stoppedOnceReady(args: string[], signal: NodeJS.Signals) {
  await readyToMerge();
  const before = await serving();
  const stopped = await stoppedAtApply(args, signal);
  return { stopped, outlived: alive(stopped.apply), before };
}

let held: number | undefined;
beforeAll(async () => {
  hook = createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ verdict: 'pass' }));
  });
  await new Promise<void>((listening) => hook.listen(0, '127.0.0.1', listening));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/check`;
  // The gate's URL comes from each run's environment (HOOK_URL).
  repo = await deployScriptRepo(MODEL, `\${HOOK_URL}`, DEPLOY);
});
beforeEach(async () => {
  const left = [
    '.model-gate',
    'state.json',
    'apply.pid',
    'go',
    'hold',
    'reads-fail',
    'reads-fail-after-promotion',
  ];
  for (const file of left) await rm(at(file), { recursive: true, force: true });
  held = undefined;
});
// Never left waiting, whatever the test found.
afterEach(() => releaseHeld(repo.dir, held));
afterAll(async () => {
  await new Promise((closed) => hook?.close(closed));
  if (repo) await rm(repo.dir, { recursive: true, force: true });
});

/** The platform's answer after a while: what a command left running would have changed by then. */
async function servingOnceReleased() {
  await writeFile(at('go'), '');
  await new Promise((r) => setTimeout(r, 500));
  return serving();
}

describe('a command stopped by a signal', () => {
  it('Ctrl-C on a rollback stops its traffic change with it, and names what records it', async () => {
    await writeFile(at('state.json'), JSON.stringify({ stable: { version: 'v2' } }));
    const stopped = await stoppedAtApply(['rollback', '--model', MODEL, '--to-version', 'v1'], 'SIGINT');
    const outlived = alive(stopped.apply);
    expect(stopped.stderr).toBe(
      `model-gate run: stopped by Ctrl-C (SIGINT); the platform command under way was stopped: the rollback may have reached the platform unrecorded: model-gate run status shows what serves; the same command again (model-gate run rollback --model ${MODEL} --to-version v1) records it\n`,
    );
    expect(stopped.code).toBe(130);
    expect(outlived).toBe(false);
    // Left running, the rollback landed v1 after the run, with nothing on record.
    expect(await servingOnceReleased()).toEqual({ stable: { version: 'v2' } });

    // The command it names rolls back and records it.
    await rm(at('hold'));
    const again = await run(['rollback', '--model', MODEL, '--to-version', 'v1']);
    expect(again.code).toBe(0);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(await readFile(at('.model-gate/ledger.json'), 'utf8')).toContain('"kind": "rollback"');
  });

  it('SIGHUP on a promote (the terminal closed) stops its traffic change with it', async () => {
    const { stopped, outlived, before } = await stoppedOnceReady(['promote', '--model', MODEL], 'SIGHUP');
    expect(stopped.stderr).toContain(
      `model-gate run: stopped by SIGHUP; the platform command under way was stopped: the promote may have reached the platform unrecorded: model-gate run status shows what serves; the same command again (model-gate run promote --model ${MODEL}) records it\n`,
    );
    expect(stopped.code).toBe(129);
    expect(outlived).toBe(false);
    // Left running, the promotion landed v2 after the run, with nothing on record.
    expect(await servingOnceReleased()).toEqual(before);
  });

  it('SIGTERM on an abort stops its withdrawal with it', async () => {
    const { stopped, outlived, before } = await stoppedOnceReady(['abort', '--model', MODEL], 'SIGTERM');
    expect(stopped.stderr).toContain(
      `model-gate run: stopped by SIGTERM; the platform command under way was stopped: the abort may have reached the platform unrecorded: model-gate run status shows what serves; the same command again (model-gate run abort --model ${MODEL}) records it\n`,
    );
    expect(stopped.code).toBe(143);
    expect(outlived).toBe(false);
    expect(await servingOnceReleased()).toEqual(before);

    // The command it names finishes the withdrawal and records it.
    await rm(at('hold'));
    const again = await run(['abort', '--model', MODEL]);
    expect(again.stdout).toContain(`${MODEL} v2 was withdrawn: aborted by model-gate run`);
    expect(again.code).toBe(0);
  });
});

describe('a merge stopped during its promotion', () => {
  const PENDING = `${MODEL} v2 promotion pending (the platform may already serve v2): model-gate run merge --pr 1 finishes it, as does the next model-gate run tick once 10m have passed`;

  it('says the promotion is pending and what finishes it, not that nothing was left live', async () => {
    await readyToMerge();
    // The promotion lands; its read-back waits for a platform still updating.
    await writeFile(at('reads-fail-after-promotion'), '');
    const merge = await startRun(['merge', '--pr', '1']);
    await until(() => existsSync(at('reads-fail')));
    merge.kill('SIGINT');
    const [code] = await merge.exited;
    expect(merge.out.stderr).toContain(
      "stopping on Ctrl-C (SIGINT): the traffic change or metrics read under way finishes first (not the phase: at most the target's settle-timeout), then this run's candidates still analysing are withdrawn, and a promotion not yet confirmed is left pending; Ctrl-C again to stop at once",
    );
    expect(merge.out.stderr).toContain(`model-gate run: stopped by Ctrl-C (SIGINT): ${PENDING}\n`);
    expect(merge.out.stderr).not.toContain('left no candidate');
    expect(code).toBe(130);
    expect(await serving()).toEqual({ stable: { version: 'v2' } });

    // The command it names finishes the promotion.
    await rm(at('reads-fail'));
    await rm(at('reads-fail-after-promotion'));
    const again = await run(['merge', '--pr', '1']);
    expect(again.stdout).toContain('promoted');
    expect(again.code).toBe(0);
  });

  it('stopped at once mid-promotion, names the merge that finishes it, not an abort that would undo it', async () => {
    await readyToMerge();
    await writeFile(at('hold'), '');
    const merge = await startRun(['merge', '--pr', '1']);
    await until(() => existsSync(at('apply.pid')));
    held = Number(await readFile(at('apply.pid'), 'utf8'));
    merge.kill('SIGINT');
    await until(() => merge.out.stderr.includes('stopping on Ctrl-C (SIGINT)'));
    merge.kill('SIGINT');
    const [code] = await merge.exited;
    expect(merge.out.stderr).toContain(
      `model-gate run: stopped on Ctrl-C (SIGINT) mid-merge: ${PENDING} (model-gate run status shows what serves); the platform command under way was stopped\n`,
    );
    expect(merge.out.stderr).not.toContain('abort');
    expect(code).toBe(130);
  });
});
