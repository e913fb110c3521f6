import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { gitHubClient } from '../../src/github/client.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { fraudServing } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';
import { FILE, MODEL, mainStepUnder } from './candidate-on-old-target-world.js';

// command status reads the target, yet said only what the ledger had. PR #8's v2 is analysing at
// 10% on the sandbox, recorded under its address as 127.0.0.1; the config then names the same
// sandbox as localhost (another target, as model-gate compares them). An abort under that config
// ends v2's record without touching the platform, and v2 keeps its 10%: the abort's `models` output
// now marks it withdrawPending, and a status names v2 and its share, not "nothing in flight", and
// its ended release: PR #N's, aborted, its record alone, with its decision and `withdrawPending`.
// A ledger file keeps that release where a status finds it; GitHub keeps it in the PR's comment,
// which a status run (no PR) once did not read: it named v2 without its release, its PR or its
// end. A status while the ledger has v2 at 10% and the target serves v1 alone says they differ.
// Main step from src/, the real sandbox, the GitHub stand-in as the ledger, or a ledger file.
let github: FakeGitHub;
let sandbox: Sandbox;
let pr = 7;
let ledgerFile: string;

beforeAll(async () => {
  [sandbox, github] = await Promise.all([
    startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] }),
    startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' }),
  ]);
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  ledgerFile = join(await mkdtemp(join(tmpdir(), 'status-off-record-')), 'ledger.json');
});

afterAll(async () => {
  expect(github.violations).toEqual([]);
  await Promise.all([sandbox?.close(), github?.close()]);
});

/** Each test its own PR moving fraud-detector from v1 to v2. */
beforeEach(() => {
  pr += 1;
  github.setPullRequest(pr, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
});

/** The same sandbox under another address: another target, as a release records it. */
const byName = () => sandbox.url.replace('127.0.0.1', 'localhost');

let ledger = 'github';
const step = (eventName: string, event: unknown, inputs: Record<string, string>, url: string) =>
  mainStepUnder(url, github, { eventName, event, inputs: { ledger, ...inputs } });
const dispatch = (command: string, url = sandbox.url) =>
  step('workflow_dispatch', workflowDispatchEvent({ command }), { command, model: MODEL }, url);
const opened = () =>
  step(
    'pull_request',
    pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: pr }),
    { mode: 'tick' },
    sandbox.url,
  );
const putTraffic = (state: unknown) =>
  requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, state);
const modelsOutput = (run: { outputs: Record<string, string> }) => JSON.parse(run.outputs.models ?? '[]');

const atTen = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
const OFF_RECORD = `- ${MODEL}: v2 gets live traffic too, on 10% of live traffic, beside v1, yet no release of it is in flight on record`;
const TAKE_IT_OUT = 'model-gate withdraws only a candidate in flight: take v2 out on the platform';

/** PR `pr`'s v2 at 10%, then aborted under the config naming the sandbox as localhost: its record alone ends. */
async function abortedElsewhere() {
  expect((await opened()).outputs.decision).toBe('analysing');
  expect(await fraudServing(sandbox)).toEqual(atTen);
  const aborted = await dispatch('abort', byName());
  expect([aborted.error, aborted.outputs.decision]).toEqual([undefined, 'aborted']);
  expect(await fraudServing(sandbox)).toEqual(atTen);
  // Nothing was withdrawn: the output marks v2 as one that may still get live traffic.
  expect(modelsOutput(aborted)).toEqual([
    expect.objectContaining({ model: MODEL, to: 'v2', status: 'aborted', withdrawPending: true }),
  ]);
}

/** The status under the localhost config: a warning heading naming v2 and its share. */
async function statusOffRecord() {
  const status = await dispatch('status', byName());
  expect(status.exitCode ?? 0).toBe(0);
  expect(status.report).toMatch(
    /^## model-gate: ⚠️ Status: no release in flight, yet a candidate gets live traffic\n/,
  );
  expect(status.report + status.log).not.toContain('nothing in flight');
  expect(await fraudServing(sandbox)).toEqual(atTen);
  return status;
}

describe('command status where the target and the ledger differ', () => {
  afterEach(async () => {
    await putTraffic({ stable: { version: 'v1' } });
    ledger = 'github';
  });

  it('after an abort that ended the record alone (GitHub ledger): names v2, its 10% and its release (PR #N), and reports it', async () => {
    await abortedElsewhere();
    // Closed since: its comment, where the release is, stays.
    github.setPullRequest(pr, {
      baseSha: sha(1),
      headSha: sha(2),
      files: [{ filename: FILE, status: 'modified' }],
      state: 'closed',
    });
    const status = await statusOffRecord();
    // Found by the canary claim naming PR #pr, then that PR's comment.
    expect(status.report).toContain(
      `${OFF_RECORD} (its release (PR #${pr}) ended aborted, its record alone: nothing was withdrawn); ${TAKE_IT_OUT}\n`,
    );
    expect(status.outputs.decision).toBe('aborted');
    expect(modelsOutput(status)).toEqual([
      expect.objectContaining({ model: MODEL, to: 'v2', status: 'aborted', withdrawPending: true }),
    ]);
  }, 60_000);

  it('after an abort that ended the record alone (ledger file): names its release too, and reports it', async () => {
    await abortedElsewhere();
    // The same records in a ledger file: PR #pr's ended release, where a status finds it.
    const comment = new GitHubLedger({
      client: gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.001 }),
      repo: { owner: 'Codertocat', repo: 'Hello-World' },
      sha: sha(1),
      pr,
    });
    const ended = await comment.release(MODEL);
    expect(ended).toMatchObject({ to: 'v2', status: 'aborted', ending: { recordOnly: true } });
    if (ended) await fileLedger(ledgerFile).saveRelease(ended);
    ledger = ledgerFile;

    const status = await statusOffRecord();
    expect(status.report).toContain(
      `${OFF_RECORD} (its release (PR #${pr}) ended aborted, its record alone: nothing was withdrawn); ${TAKE_IT_OUT}\n`,
    );
    // What is on record: an aborted release whose candidate still gets live traffic.
    expect(status.outputs.decision).toBe('aborted');
    expect(modelsOutput(status)).toEqual([
      expect.objectContaining({ model: MODEL, to: 'v2', status: 'aborted', withdrawPending: true }),
    ]);
  }, 60_000);

  it('v2 analysing at 10% on record while the target serves v1 alone: says so, and what records it', async () => {
    expect((await opened()).outputs.decision).toBe('analysing');
    await putTraffic({ stable: { version: 'v1' } });

    const status = await dispatch('status');
    expect(status.exitCode ?? 0).toBe(0);
    expect(status.outputs.decision).toBe('analysing');
    expect(status.report).toMatch(
      /^## model-gate: ⚠️ Status: analysing; the target differs from the ledger\n/,
    );
    expect(status.report).toMatch(
      new RegExp(
        `- ${MODEL}: the ledger has v2 analysing \\(.+\\) on 10% of live traffic, yet the target gives v2 none: v1 serves alone; the next schedule tick or a re-run of PR #${pr}'s job reads the target again and records v2 withdrawn\\n`,
      ),
    );
    // As said: the next tick finds v2 without traffic, and records it withdrawn.
    const tick = await step('schedule', { schedule: '*/15 * * * *' }, {}, sandbox.url);
    expect([tick.error, tick.outputs.decision]).toEqual([undefined, 'aborted']);
    expect((await dispatch('status')).report).toMatch(/^## model-gate: ℹ️ Status: nothing in flight\n/);
  }, 60_000);
});
