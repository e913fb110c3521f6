import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { escapeMarkdown } from '../../src/report/markdown.js';
import { fraudPromotedOnRecord, fraudServing, runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';
import { fraudBehindPassThrough } from '../support/platform-pass-through.js';
import { useRefusingPlatform } from '../support/refusing-platform-world.js';

// A run that stopped on an error wrote an empty job summary and no report-path: on-call, whose
// rollback the platform refused mid-incident, saw the annotation alone. Now the summary and the
// report file say what the annotation says, under the report of the releases the run had (a
// candidate whose withdrawal the platform refused). Main step from src/, the sandbox behind a
// pass-through refusing withdrawals while `refuse` is set, the ledger on the GitHub stand-in.
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
/** The job summary's file: @actions/core keeps the first path it is given, so one for the file. */
let summaryFile: string;

beforeAll(async () => {
  world.github.setFile(sha(1), FILE, 'version: v1\n');
  world.github.setFile(sha(2), FILE, 'version: v2\n');
  summaryFile = join(await mkdtemp(join(tmpdir(), 'model-gate-summary-')), 'summary.md');
});

/** world.step, the job summary written to a file of its own: the run, and the summary's text. */
async function step(eventName: string, event: unknown, inputs: Record<string, string>) {
  await writeFile(summaryFile, '');
  const run = await runMainStep({
    eventName,
    event,
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: world.github.url,
    env: {
      SANDBOX_URL: world.sandbox.url,
      PLATFORM_URL: world.platform.url,
      GITHUB_SHA: sha(1),
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
      GITHUB_STEP_SUMMARY: summaryFile,
    },
  });
  return { ...run, summary: await readFile(summaryFile, 'utf8') };
}

const dispatch = (inputs: Record<string, string>) => {
  const all = { model: MODEL, ...inputs };
  return step('workflow_dispatch', workflowDispatchEvent(all), all);
};

describe('a dispatch command the platform refuses: the job summary and report-path say why', () => {
  it('a rollback with nothing in flight: the summary is the error, the report file the same', async () => {
    // v2 serves, promoted from v1 by PR #5.
    await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v2' },
    });
    world.github.setPullRequest(5, { baseSha: sha(1), headSha: sha(2), files: [] });
    await fraudPromotedOnRecord(world.github, 5);
    refuse = true;
    try {
      const run = await dispatch({ command: 'rollback' });
      expect(run.outputs.decision).toBe('error');
      expect(run.error).toMatch(
        /^rollback fraud-detector: v2 still serves, the platform did not take the rollback to v1 /,
      );
      expect(run.outputs['report-path']).toMatch(/model-gate-report\.md$/);
      expect(run.summary).toBe(run.report);
      expect(run.summary).toMatch(/^## model-gate: ❌ Stopped on an error\n/);
      expect(run.summary).toContain(
        'rollback fraud-detector: v2 still serves, the platform did not take the rollback to v1',
      );
      expect(run.summary).toContain('nothing is recorded: run the rollback again once the platform answers');
      // The annotation's words, none of a stack trace.
      expect(run.summary).not.toMatch(/\bat .*\.ts:\d+/);
      expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v2' } });
    } finally {
      refuse = false;
      // What it says to do, done: v1 serves again for the next test.
      expect((await dispatch({ command: 'rollback' })).outputs.decision).toBe('rolled-back');
    }
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
  });

  it.each([
    ['abort', {}, 'Withdrawal'],
    ['rollback', { 'to-version': 'v1' }, 'Rollback'],
  ])(
    '%s of a candidate in flight: the summary is the PR report of v2, the error under its heading',
    async (command, more, what) => {
      const pr = command === 'abort' ? 61 : 62;
      const shas = { base: sha(1), head: sha(2) };
      world.github.setPullRequest(pr, {
        baseSha: shas.base,
        headSha: shas.head,
        files: [{ filename: FILE, status: 'modified' }],
      });
      const prJob = (action: 'opened' | 'closed') =>
        step('pull_request', pullRequestEvent(action, shas, { number: pr }), { mode: 'tick' });
      expect((await prJob('opened')).outputs.decision).toBe('analysing');
      refuse = true;
      try {
        const run = await dispatch({ command, ...more });
        expect(run.outputs.decision).toBe('error');
        expect(run.error).toContain('the release of v2 of PR');
        expect(run.outputs['report-path']).toMatch(/model-gate-report\.md$/);
        expect(run.summary).toBe(run.report);
        const [heading, blank, line] = run.summary.split('\n');
        expect([heading, blank]).toEqual([
          `## model-gate: ⚠️ ${what} incomplete: a candidate may still get live traffic`,
          '',
        ]);
        expect(line).toBe(`❌ The run stopped on an error: ${escapeMarkdown(run.error ?? '')}`);
        expect(run.summary).toContain(`### ${MODEL}: v1 → v2`);
        expect(run.summary).toContain(`${MODEL} v2 could not be withdrawn`);
        expect(run.summary).toContain('| gate | candidate | baseline | bound | verdict |');
      } finally {
        refuse = false;
        await prJob('closed');
      }
      expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
    },
  );
});
