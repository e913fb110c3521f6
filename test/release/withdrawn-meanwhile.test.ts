import { describe, expect, it } from 'vitest';
import { withdrawIfLive } from '../../src/release/finish.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';
import type { MemoryTarget } from '../support/memory-target.js';

// A PR's job was cancelled mid-analysis while GitHub did not answer: its post step withdrew the
// candidate on the platform directly but could not record it, so the ledger still says
// "analysing". The next run that resumes the release must tell the truth, not resume it.

/** A PR moving fraud from v1 to v2, analysed by a job that ends (tick mode) with 10% on v2. */
async function analysing() {
  // Healthy numbers: resumed, the analysis would pass the step and move on to 50%.
  const world = await fraudPr();
  const { config, ledger, target, clock, ports, warnings } = world;
  const event = world.event();
  const tickMode = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
  await handlePullRequest(config, event, ports, tickMode);
  const started = await handlePullRequest(config, event, ports, tickMode);
  expect(started.releases[0]).toMatchObject({ status: 'analysing', phase: 0 });
  expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  clock.advance(10_000);
  return { config, ledger, target, ports, event, warnings };
}

/** What the post step does when GitHub does not answer: withdraw on the platform, record nothing. */
async function postStepWithoutGitHub(target: MemoryTarget) {
  expect(await withdrawIfLive(target, 'v1', 'v2')).toEqual({ done: 'withdrawn' });
  return target.writes.length;
}

const NOT_LIVE =
  /^v2 had no live traffic when this run went to resume step 1 of 2 \(v1 alone served\): the run analysing it withdrew it without recording that \(GitHub did not answer: a stopped job's post step, or a rollback GitHub refused to record; that run's log says which\), or it was withdrawn by hand; push a new commit, or close and reopen the PR, to analyse it again$/;

describe('a release recorded as analysing whose candidate the post step withdrew', () => {
  it('the next schedule tick ends it as aborted, says why, frees the slot, and gives v2 no traffic again', async () => {
    const { config, ledger, target, ports, warnings } = await analysing();
    const writes = await postStepWithoutGitHub(target);
    const tick = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(tick.releases).toHaveLength(1);
    expect(tick.releases[0]).toMatchObject({ status: 'aborted', reason: expect.stringMatching(NOT_LIVE) });
    expect(tick.releases[0]?.phases.at(-1)?.outcome).toBe('withdrawn');
    expect(target.writes).toHaveLength(writes);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.release('fraud')).toMatchObject({ status: 'aborted' });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^fraud: v2 had no live traffic/)]);
    const report = renderMarkdown(config, tick, { now: 0 });
    expect(report).toContain('## model-gate: ⏹️ Withdrawn');
    expect(report).toContain('fraud v2 was withdrawn: v2 had no live traffic when this run went to resume');
  });

  it('a re-run of the PR job on the same head ends it the same way; a second one says this head already ended', async () => {
    const { config, target, ports, event } = await analysing();
    const writes = await postStepWithoutGitHub(target);
    const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
    const rerun = await handlePullRequest(config, event, ports, watch);
    expect(rerun.releases[0]).toMatchObject({ status: 'aborted', reason: expect.stringMatching(NOT_LIVE) });
    expect(rerun.skipped).toEqual([]);
    const again = await handlePullRequest(config, event, ports, watch);
    expect(again.releases[0]?.status).toBe('aborted');
    expect(again.skipped).toEqual([
      {
        model: 'fraud',
        why: 'this head (aaaaaaa) already ended aborted: its candidate was withdrawn before the analysis decided; push a new commit, or close and reopen the PR, to analyse again',
        kind: 'note',
      },
    ]);
    expect(target.writes).toHaveLength(writes);
  });

  it('a candidate still live (a job killed without its post step) is resumed by the tick as before', async () => {
    const { config, target, ports } = await analysing();
    const tick = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
    expect(tick.releases[0]).toMatchObject({ status: 'analysing', phase: 1 });
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } });
  });
});
