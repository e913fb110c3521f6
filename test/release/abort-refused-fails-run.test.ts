import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { readBody } from '../../src/github/sticky-comment.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';
import { fraudServing } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';
import { fraudBehindPassThrough } from '../support/platform-pass-through.js';
import { useRefusingPlatform } from '../support/refusing-platform-world.js';

// The abort command of a release in flight whose withdrawal the platform refuses: the candidate may
// still get live traffic, so the run fails, as a refused rollback does (and an abort retrying a
// pending withdrawal), the release recorded as aborted, its withdrawal pending, the PR's comment
// saying so. It used to end the run as a plain `aborted`, exit code 0.

/** The error of a refused command: the platform's words, what was recorded, what follows. */
const refused = (command: string) =>
  new RegExp(
    `platform unavailable(; the sandbox, .* is up\\))?; the release of v2 of PR #\\d+ is recorded as ended, and as its candidate may still get live traffic, a re-run of the PR's job or the next schedule tick tries again to withdraw it; run the ${command} again once the platform answers$`,
  );

describe('abort, the platform refusing the withdrawal (engine)', () => {
  it('fails, the release recorded as aborted with its withdrawal pending and written at once', async () => {
    const w = await fraudPr({ to: 'v2' });
    await handlePullRequest(w.config, w.event(), w.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
    const live = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
    expect(w.target.state).toEqual(live);
    w.target.failFromWrite = w.target.writes.length;
    const written: Release[][] = [];
    const ports = { ...w.ports, onProgress: (releases: Release[]) => void written.push(releases) };
    const abort = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };
    const run = handleCommand(w.config, 'abort', abort, ports);
    await expect(run).rejects.toThrow(TargetError);
    await expect(run).rejects.toThrow(refused('abort'));
    expect(w.target.state).toEqual(live);
    const recorded = await w.ledger.release('fraud');
    expect(recorded).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(written.at(-1)).toEqual([recorded]);
    const comment = renderMarkdown(w.config, { releases: [recorded as Release], skipped: [] }, { now: 0 });
    // Nothing was to be rolled back: the abort asked for a withdrawal.
    expect(comment).toContain(
      '## model-gate: ⚠️ Withdrawal incomplete: a candidate may still get live traffic',
    );
    expect(comment).toContain(
      '- fraud v2 could not be withdrawn: platform unavailable (withdrawing because aborted by workflow\\_dispatch); v2 may still get live traffic',
    );
  });
});

// The action's main step from src/, the sandbox behind a pass-through that refuses withdrawals
// (a PUT with no canary) while `refuse` is set, the ledger a PR comment on the GitHub stand-in.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const CONFIG = fraudBehindPassThrough(
  FILE,
  '{ type: canary, steps: [10, 50], step-duration: 30s, min-requests: 40, interval: 250ms }',
);

let refuse = false;
const world = useRefusingPlatform({
  config: CONFIG,
  refusal: 'platform unavailable',
  refusing: () => refuse,
  githubWaitScale: '0.05',
});
const mainStep = world.step;
let pr = 60;
const shas = { base: sha(1), head: sha(2) };

beforeAll(() => {
  world.github.setFile(sha(1), FILE, 'version: v1\n');
  world.github.setFile(sha(2), FILE, 'version: v2\n');
});

const serving = () => fraudServing(world.sandbox);
const comment = () =>
  world.github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
const recorded = () =>
  (readBody(comment()).data as { releases: Record<string, Release> } | undefined)?.releases[MODEL];

const prJob = (action: 'opened' | 'closed') =>
  mainStep('pull_request', pullRequestEvent(action, shas, { number: pr }), { mode: 'tick' });

beforeEach(async () => {
  pr++;
  refuse = false;
  world.github.setPullRequest(pr, {
    baseSha: shas.base,
    headSha: shas.head,
    files: [{ filename: FILE, status: 'modified' }],
  });
  const job = await prJob('opened');
  expect([job.error, job.outputs.decision]).toEqual([undefined, 'analysing']);
  expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
});

afterEach(async () => {
  // The platform answers again: closing the PR takes v2 out and frees the model for the next test.
  refuse = false;
  await prJob('closed');
  expect(await serving()).toEqual({ stable: { version: 'v1' } });
});

describe('a dispatch command whose withdrawal of the candidate in flight the platform refuses (action)', () => {
  it.each([
    ['abort', {}, 'Withdrawal'],
    ['rollback', { 'to-version': 'v1' }, 'Rollback'],
  ])('%s: the step fails, the comment says v2 may still get live traffic', async (command, more, what) => {
    refuse = true;
    const inputs = { command, model: MODEL, ...more };
    const run = await mainStep('workflow_dispatch', workflowDispatchEvent(inputs), inputs);
    expect(run.exitCode).toBe(1);
    expect(run.error).toMatch(refused(command));
    expect(run.outputs.decision).toBe('error');
    expect(JSON.parse(run.outputs.models ?? '')).toMatchObject([
      { model: MODEL, to: 'v2', status: 'aborted' },
    ]);
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    expect(recorded()).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(comment()).toContain(
      `## model-gate: ⚠️ ${what} incomplete: a candidate may still get live traffic`,
    );
    expect(comment()).toContain(`${MODEL} v2 could not be withdrawn`);
  });
});
