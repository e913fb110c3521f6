import { describe, expect, it } from 'vitest';
import { withdrawIfLive } from '../../src/release/finish.js';
import type { RunResult } from '../../src/release/pull-request.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { endIfWithdrawn } from '../../src/release/withdrawn-meanwhile.js';
import { fraudPr } from '../support/fraud-pr.js';

// on-merge: analyze-then-promote. PR #7 merged while v2 was analysing; the merge job was then
// cancelled and its post step withdrew v2 without recording it (GitHub did not answer). The next
// schedule tick ends the release: no push nor reopen can analyse a merged PR again, so it says v2
// was not promoted and that a re-run of the merge job analyses it again, which it does.

const ANALYZE_THEN_PROMOTE = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    on-merge: analyze-then-promote
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

const once = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
const AGAIN = 'v2 was not promoted; re-run the merge job of PR #7 to analyse it again';

/** PR #7's v2 at 10% after its merge, then withdrawn by a post step that could not record it. */
async function mergedThenWithdrawnUnrecorded() {
  const w = await fraudPr({ yaml: ANALYZE_THEN_PROMOTE });
  await handlePullRequest(w.config, w.event(), w.ports, once);
  await handlePullRequest(w.config, w.event(), w.ports, once);
  const merged = await handlePullRequest(w.config, w.event('closed', true), w.ports, once);
  expect(merged.releases[0]).toMatchObject({ status: 'analysing', mergedAt: expect.any(Number) });
  expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  expect(await withdrawIfLive(w.target, 'v1', 'v2')).toEqual({ done: 'withdrawn' });
  w.clock.advance(10_000);
  return w;
}

describe('a merged release whose candidate was withdrawn without a record', () => {
  it('the tick says v2 was not promoted and to re-run the merge job, and that re-run analyses v2 again', async () => {
    const w = await mergedThenWithdrawnUnrecorded();
    const tick = await handleSchedule(w.config, w.ports, once);
    expect(tick.releases[0]).toMatchObject({ status: 'aborted', reason: expect.stringContaining(AGAIN) });
    expect(tick.releases[0]?.reason).not.toContain('reopen');
    // The merged PR, whose job no longer runs, is told so on its comment.
    expect(tick.notify).toContainEqual({
      pr: 7,
      model: 'fraud',
      why: expect.stringMatching(new RegExp(`; ${AGAIN}$`)),
    });
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });

    const rerun = await handlePullRequest(w.config, w.event('closed', true), w.ports, once);
    expect(rerun.releases[0]).toMatchObject({ to: 'v2', status: 'analysing' });
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  });

  it('the run that ends it hands the merged PR a line saying so', async () => {
    const w = await mergedThenWithdrawnUnrecorded();
    const release = await w.ledger.release('fraud');
    if (!release) throw new Error('no release recorded');
    const lines: NonNullable<RunResult['notify']> = [];
    const ended = await endIfWithdrawn(w.config, release, w.ports, (line) => lines.push(line));
    expect(ended.status).toBe('aborted');
    expect(lines).toEqual([{ pr: 7, model: 'fraud', why: expect.stringMatching(new RegExp(`; ${AGAIN}$`)) }]);
  });

  it('an unmerged PR still gets the push-or-reopen advice, and no line elsewhere', async () => {
    const w = await fraudPr();
    await handlePullRequest(w.config, w.event(), w.ports, once);
    await handlePullRequest(w.config, w.event(), w.ports, once);
    await withdrawIfLive(w.target, 'v1', 'v2');
    const release = await w.ledger.release('fraud');
    if (!release) throw new Error('no release recorded');
    const lines: NonNullable<RunResult['notify']> = [];
    const ended = await endIfWithdrawn(w.config, release, w.ports, (line) => lines.push(line));
    expect(ended.reason).toMatch(/; push a new commit, or close and reopen the PR, to analyse it again$/);
    expect(lines).toEqual([]);
  });
});
