import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { MODEL, raceMetrics, STORES, useRaceWorld } from '../support/race-world.js';

// on-merge: analyze-then-promote, the merge job recording the merge (`mergedAt`) on a release still
// analysing. Between its read of the release and that save, a schedule tick (another concurrency
// group) recorded a newer state. The merge job saved the record as it first read it, with the mark,
// over the tick's: a candidate the tick failed and rolled back was analysed again, with live
// traffic (a ledger file; a PR comment's ledger gave it up at its first traffic change). It now
// reads the record again and marks the newer one: a step the tick passed stays passed, the mark on
// it. The tick runs while the merge job reads the merged head's version file (a README fix after
// the analysed head). The platform is a real sandbox; the ledger a PR comment on the GitHub
// stand-in, or a ledger file.
const world = useRaceWorld({ firstPr: 280, firstRunId: 2800, closePr: (closed) => prJob(closed) });
let config: Config;
beforeAll(() => {
  config = world.configWith('[10, 50]', { onMerge: 'analyze-then-promote' });
});

const healthy = () => raceMetrics(async () => {});

/** A PR's job, one pass; `meanwhile` runs once, as the job first reads a version file. */
async function prJob(event: PullRequestEvent, meanwhile?: () => Promise<unknown>) {
  const { ports, publish } = world.job(event, config, { metrics: healthy(), atFirstRead: meanwhile });
  const opts = { mode: 'tick' as const, maxWaitMs: 3_600_000, dryRun: false };
  return publish(await handlePullRequest(config, event, ports, opts));
}

async function scheduleTick(candidateErrors = 0.005) {
  const { ports, publish } = world.job(undefined, config, {
    metrics: raceMetrics(async () => {}, candidateErrors),
  });
  return publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 }));
}

/** v2 analysing at 10% on head 2, data enough to pass its step; the PR then merged at head 3 (a README fix). */
async function analysingThenMerged(): Promise<PullRequestEvent> {
  await prJob(world.pullRequest('v2', 2));
  expect(await world.serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  world.clock.advance(20_000);
  const { baseSha, headSha, number } = world.pullRequest('v2', 3);
  return { action: 'closed', number, baseSha, headSha, merged: true };
}

describe.each(STORES)('the merge job recording the merge, releases kept %s', (_, inFile) => {
  beforeEach(() => world.useLedgerFile(inFile, 'model-gate-merge-mark-'));

  it('a step a tick passed meanwhile stays passed: v2 keeps 50%, the merge is on record', async () => {
    const merged = await analysingThenMerged();
    const job = await prJob(merged, () => scheduleTick());
    expect(await world.serving()).toEqual({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 50 },
    });
    const recorded = await world.recorded();
    expect(recorded).toMatchObject({ status: 'analysing', phase: 1, mergedAt: expect.any(Number) });
    // Step 1 passed once, by the tick: not analysed again.
    expect(recorded?.phases.map((p) => [p.name, p.outcome])).toEqual([
      ['step 1 of 2', 'passed'],
      ['step 2 of 2', undefined],
    ]);
    expect(job.releases).toMatchObject([{ status: 'analysing', phase: 1 }]);
  });

  it('a candidate a tick failed meanwhile stays failed and rolled back, and the merge job says it was not promoted', async () => {
    const merged = await analysingThenMerged();
    const job = await prJob(merged, () => scheduleTick(0.05));
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(await world.recorded()).toMatchObject({ status: 'failed' });
    expect(job.releases).toMatchObject([{ status: 'failed' }]);
    expect(job.skipped).toContainEqual({
      model: MODEL,
      why: expect.stringMatching(/^v2 was not promoted: .*errors/),
      kind: 'note',
    });
    expect((await world.ledgerOf().history(MODEL)).filter((e) => e.pr === world.pr)).toEqual([]);
  });
});
