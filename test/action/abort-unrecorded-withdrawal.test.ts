import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { cliRunConfig, repoAtV1 } from '../support/cli-run-world.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// `command: abort` on a ledger file whose lock a killed run left behind: the abort withdrew v4 (v1
// served alone) and then failed on the ledger's write. Its summary read "Stopped on an error … The
// run had reported no release", the lock's words alone: nothing said v4 was withdrawn, and `status`
// still had it at 50%. Now the error says what the abort did, that it is not recorded, the lock's
// way out, and that a re-run records it. Its advice was "re-run this job, or let the next schedule
// tick" record it: no job on the command line, and the tick records its own guess, not "aborted by
// …". Now it says to run the same command again, which records the abort with its reason, and the
// tick as the fallback it is. Main step (and the CLI) from src/, a real sandbox, a real ledger file.
const MODEL = 'fraud-detector';

let world: { sandbox: Sandbox; github: FakeGitHub };
let dir: string;
beforeAll(async () => {
  world = await startFraudWorld('v1');
  dir = await mkdtemp(join(tmpdir(), 'model-gate-abort-unrecorded-'));
});
afterAll(async () => {
  await world?.sandbox.close();
  await world?.github.close();
  await rm(dir, { recursive: true, force: true });
});

/** v4 of PR #12 in flight at its second step, 50% of fraud-detector's live traffic, as the ledger has it. */
const inFlight = (now: number): Release => ({
  model: MODEL,
  from: 'v1',
  to: 'v4',
  pr: 12,
  headSha: sha(2),
  status: 'analysing',
  phase: 1,
  phaseStartedAt: now - 1_000,
  startedAt: now - 60_000,
  updatedAt: now - 1_000,
  gates: [
    {
      name: 'errors',
      kind: 'threshold',
      verdict: 'pending',
      failures: 0,
      inconclusives: 0,
      consecutiveErrors: 0,
    },
  ],
  phases: [
    { name: 'step 1 of 2', weight: 10, startedAt: now - 60_000, endedAt: now - 1_000, outcome: 'passed' },
    { name: 'step 2 of 2', weight: 50, startedAt: now - 1_000 },
  ],
  reason: 'analysing step 2 of 2',
});

/** The lock of `ledger` as a run killed while it wrote the ledger leaves it: its process no longer runs. */
async function lockLeftBehind(lock: string): Promise<void> {
  const gone = spawn(process.execPath, ['-e', '']);
  await once(gone, 'exit');
  await writeFile(lock, JSON.stringify({ pid: gone.pid, host: hostname(), at: new Date().toISOString() }));
}

async function abort(ledger: string) {
  const summary = join(dir, 'summary.md');
  await writeFile(summary, '');
  const inputs = { ledger, command: 'abort', model: MODEL };
  const run = await runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent({ command: 'abort', model: MODEL }),
    inputs,
    config: FRAUD_ON_SANDBOX,
    githubUrl: world.github.url,
    env: { SANDBOX_URL: world.sandbox.url, GITHUB_SHA: sha(9), GITHUB_STEP_SUMMARY: summary },
  });
  return { ...run, summary: await readFile(summary, 'utf8') };
}

describe('abort whose withdrawal took while the ledger could not be written', () => {
  it('says v4 was withdrawn and v1 serves alone, that it is not recorded, and how; a re-run records it', async () => {
    const ledger = join(dir, 'ledger.json');
    const lock = `${ledger}.lock`;
    await fileLedger(ledger).saveRelease(inFlight(Date.now()));
    await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v4', weight: 50 },
    });
    await lockLeftBehind(lock);

    const run = await abort(ledger);
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
    expect(run.outputs.decision).toBe('error');
    const said = run.error ?? '';
    expect(said).toMatch(new RegExp(`^${MODEL} now serves v1 alone: v4 was withdrawn \\(aborted `));
    expect(said).toContain(`but recording it failed (the lock ${lock} was left by process`);
    expect(said).toContain(`delete ${lock} and run again`);
    expect(said).toContain(
      "the ledger's record (and the status command) may still have v4 as a candidate in flight",
    );
    expect(said).toContain(
      'once that is fixed, run the same command again (re-run this job, or the same model-gate command), which records it, changing no traffic',
    );
    // The tick is the fallback, and the error says what it records: not this abort's reason.
    expect(said).toMatch(
      /; left to it, the next schedule tick records v4 as aborted, but in its own words \(found without live traffic, its cause guessed\), not this run's$/,
    );
    // The job summary and the report file say it too, not "stopped" alone.
    expect(run.summary).toContain(`${MODEL} now serves v1 alone: v4 was withdrawn`);
    expect(run.report).toContain(`${MODEL} now serves v1 alone: v4 was withdrawn`);
    expect(run.summary).not.toMatch(/\bat .*\.ts:\d+/);

    // Done as it says: the lock deleted, the re-run records the abort; v1 still serves alone.
    await rm(lock);
    const again = await abort(ledger);
    expect(again.error).toBeUndefined();
    expect(again.outputs.decision).toBe('aborted');
    // With its own reason: who aborted it, nothing withdrawn again.
    expect(await fileLedger(ledger).release(MODEL)).toMatchObject({
      status: 'aborted',
      to: 'v4',
      reason: 'aborted by @octocat via workflow_dispatch',
    });
    expect(again.log).not.toContain('withdrawing v4 failed');
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
  });

  it('on the command line, the advice fits: the same `model-gate run abort` again records the abort', async () => {
    const repo = await repoAtV1(cliRunConfig());
    const ledger = join(repo.dir, '.model-gate', 'ledger.json');
    const lock = `${ledger}.lock`;
    await fileLedger(ledger).saveRelease(inFlight(Date.now()));
    await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v4', weight: 50 },
    });
    await lockLeftBehind(lock);
    const abortOnCli = () =>
      runCli(repo.dir, ['run', 'abort', '--model', MODEL], { SANDBOX_URL: world.sandbox.url });

    const run = await abortOnCli();
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `${MODEL} now serves v1 alone: v4 was withdrawn (aborted by model-gate run)`,
    );
    expect(run.stderr).toContain(
      'once that is fixed, run the same command again (re-run this job, or the same model-gate command), which records it',
    );
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });

    await rm(lock);
    const again = await abortOnCli();
    expect(again.code, again.stderr).toBe(0);
    expect(await fileLedger(ledger).release(MODEL)).toMatchObject({
      status: 'aborted',
      to: 'v4',
      reason: 'aborted by model-gate run',
    });
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
  });

  it('the schedule tick, left to it, records the abort as the error said: aborted, in its own words', async () => {
    const ledger = join(dir, 'ticked.json');
    const lock = `${ledger}.lock`;
    await fileLedger(ledger).saveRelease(inFlight(Date.now()));
    await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
      canary: { version: 'v4', weight: 50 },
    });
    await lockLeftBehind(lock);
    expect((await abort(ledger)).error).toContain(
      'the next schedule tick records v4 as aborted, but in its own words',
    );

    await rm(lock);
    const tick = await runMainStep({
      eventName: 'schedule',
      event: { schedule: '*/10 * * * *' },
      inputs: { ledger },
      config: FRAUD_ON_SANDBOX,
      githubUrl: world.github.url,
      env: { SANDBOX_URL: world.sandbox.url, GITHUB_SHA: sha(9) },
    });
    expect(tick.error).toBeUndefined();
    const recorded = await fileLedger(ledger).release(MODEL);
    expect(recorded).toMatchObject({ status: 'aborted', to: 'v4' });
    expect(recorded?.reason).toMatch(
      /^v4 had no live traffic when this run went to resume step 2 of 2 \(v1 alone served\)/,
    );
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
  }, 90_000);
});
