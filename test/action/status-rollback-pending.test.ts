import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { fraudServing } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';
import { fraudBehindPassThrough } from '../support/platform-pass-through.js';
import { useRefusingPlatform } from '../support/refusing-platform-world.js';

// PR #5 takes fraud-detector from v1 to v3 (about 12% errors): its gate fails, and the platform
// refuses the rollback, so v3 keeps its canary traffic and its rollback is pending. A
// `command: status` dispatch afterwards judges nothing and changes nothing: it succeeds, with no
// gate error, and a warning that v3 may still get live traffic. So does one after an abort of PR
// #4's v2 the platform refused. Main step from src/, the real sandbox behind a pass-through that
// refuses withdrawals while `refuse` is set, GitHub's stand-in as the ledger.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
// v3 judged on 200 of its requests: on fewer, its 12% of errors can read 5% or less and pass.
const CONFIG = fraudBehindPassThrough(
  FILE,
  '{ type: canary, steps: [50], step-duration: 30s, min-requests: 200, interval: 250ms }',
);
const STUCK = `${MODEL} v3 could not be rolled back to v1: `;

let refuse = true;
const world = useRefusingPlatform({
  config: CONFIG,
  refusal: 'traffic API unavailable',
  refusing: () => refuse,
  githubWaitScale: '0.001',
  seed: 5,
});
const { step } = world;
let traffic: TrafficGenerator;

beforeAll(async () => {
  const { sandbox, github } = world;
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 200, seed: 9 });
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v3\n');
  github.setFile(sha(3), FILE, 'version: v2\n');
  github.setPullRequest(4, {
    baseSha: sha(1),
    headSha: sha(3),
    files: [{ filename: FILE, status: 'modified' }],
  });
  github.setPullRequest(5, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
});

// The platform answers again: a tick withdraws what a test left live, and frees the canary slot.
afterEach(async () => {
  refuse = false;
  await step('schedule', { schedule: '*/15 * * * *' }, { command: 'tick' });
  expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
  refuse = true;
});

afterAll(async () => {
  await traffic?.stop();
});

/** Workflow commands escape ':' and ',' in properties, '%' everywhere; GitHub decodes them. */
const decoded = (log: string) => log.replaceAll('%3A', ':').replaceAll('%2C', ',').replaceAll('%25', '%');

/** A workflow_dispatch run of `command`. */
const dispatch = (command: string) =>
  step('workflow_dispatch', workflowDispatchEvent({ command }), { command });

/** PR `number` opened, moving fraud-detector from v1 to the version at `head`. */
const opened = (number: number, head: number, inputs: Record<string, string>) =>
  step('pull_request', pullRequestEvent('opened', { base: sha(1), head: sha(head) }, { number }), inputs);

describe('command status while a candidate waits for its withdrawal', () => {
  it('after a refused abort: succeeds as before, now with a warning that v2 may still get live traffic', async () => {
    const pr = await opened(4, 3, { mode: 'tick' });
    expect(pr.outputs.decision).toBe('analysing');
    const abort = await dispatch('abort');
    expect(abort.error).toContain('v2');

    const run = await dispatch('status');
    expect(run.exitCode ?? 0).toBe(0);
    expect(run.outputs.decision).toBe('aborted');
    const log = decoded(run.log);
    expect(log).not.toMatch(/^::error/m);
    expect(log).toMatch(
      new RegExp(
        `^::warning title=${MODEL} v2 may still get live traffic::${MODEL} v2 could not be withdrawn: .*; v2 may still get live traffic`,
        'm',
      ),
    );
    // An abort asked for a withdrawal: nothing was to be rolled back.
    expect(run.report).toContain(
      '## model-gate: ⚠️ Status: withdrawal incomplete: a candidate may still get live traffic',
    );
  }, 60_000);

  it('after a failed gate whose rollback was refused: succeeds, with a warning that v3 may still get live traffic', async () => {
    // Watch mode: the engine waits for v3's 200 requests (about 2 s of traffic).
    const pr = await opened(5, 2, { 'max-wait': '15s' });
    expect(pr.outputs.decision).toBe('failed');
    expect(pr.error).toContain(STUCK);
    expect(await fraudServing(world.sandbox)).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v3', weight: 50 },
    });

    const run = await dispatch('status');
    expect(run.exitCode ?? 0).toBe(0);
    expect(run.error).toBeUndefined();
    // What is in flight, as other status runs give it (analysing, ready): a failed release.
    expect(run.outputs.decision).toBe('failed');
    const log = decoded(run.log);
    expect(log).not.toMatch(/^::error/m);
    expect(log).toMatch(
      new RegExp(
        `^::warning title=${MODEL} v3 may still get live traffic::${STUCK}.*; v3 may still get live traffic`,
        'm',
      ),
    );
    expect(run.report).toContain('## model-gate: ⚠️ Status: rollback incomplete');
    expect(run.report).toContain(STUCK);
    // Who tries again: not a re-run of this status job, which retries nothing, but PR #5's.
    for (const said of [log, run.report]) {
      expect(said).not.toContain('a re-run of this job');
      expect(said).toContain(
        "the next schedule tick or a re-run of PR #5's job tries again, an abort command at once",
      );
    }
    // A status changes nothing: v3 keeps its canary traffic.
    expect(await fraudServing(world.sandbox)).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v3', weight: 50 },
    });
  }, 60_000);
});
