import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { configOf, gitHubJob, prEvent, REPO, twoModelsWorld } from '../release/two-models-world.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// The merge job takes the open-PR advice ("push a new commit") out of a release that failed before
// the merge and puts the merge on its record (merge-job.ts endedOnMerge). On GitHub's ledger the
// head's commit status is what a reviewer sees beside the merged PR: it was written only when the
// status or phase changed, so it kept telling a merged PR to push a new commit.

const FRAUD = configOf(['fraud']);
const once = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };

describe('the commit status of a release that failed before its merge', () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await startFakeGitHub(REPO);
    github.setPullRequest(7, { baseSha: sha(1), headSha: sha(7), files: [] });
  });
  afterEach(async () => {
    expect(github.violations).toEqual([]);
    await github.close();
  });

  it('drops the advice to push a new commit once the merge job has run', async () => {
    const w = await twoModelsWorld();
    // Too few candidate requests for min-requests: 100 in the step's minute.
    w.ports.metricsFor = () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 0.5, values: { 'error-rate': 0.005 } },
      });
    for (let run = 0; run < 5; run++) {
      const opened = gitHubJob(w, github.url, FRAUD, 7);
      await opened.publish(await handlePullRequest(FRAUD, prEvent(7), opened.ports, once));
      w.clock.advance(20_000);
    }
    const before = github.commitStatuses(sha(7)).at(-1);
    expect(before?.state).toBe('failure');
    expect(before?.description).toMatch(/push a new commit/);

    const merged = gitHubJob(w, github.url, FRAUD, 7);
    await merged.publish(await handlePullRequest(FRAUD, prEvent(7, 'closed', true), merged.ports, once));
    const after = github.commitStatuses(sha(7)).at(-1);
    expect(after?.state).toBe('failure');
    expect(after?.description).not.toMatch(/push a new commit/);
    expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
  });
});
