import * as core from '@actions/core';
import type { GitHubLedger } from '../github/github-ledger.js';

/**
 * Once this job has freed a model's canary slot, re-run the job of the PR that waited for it
 * first. Its failure never fails this job: the waiting PR's comment already says how to start it.
 */
export async function startWaiting(ledger: GitHubLedger | undefined, also: string[] = []): Promise<void> {
  if (!ledger) return;
  try {
    for (const s of await ledger.startWaiting(also)) {
      if (s.started)
        core.info(
          `${s.model}: the canary slot is free; re-ran run ${s.run} of PR #${s.pr}, which waited for it`,
        );
      else
        core.warning(
          `${s.model}: PR #${s.pr} waits for the canary slot, which is free now, but its run ${s.run} could not be re-run (${s.why}); re-run it by hand, and give the workflow the actions: write permission`,
        );
    }
  } catch (error) {
    core.warning(`could not start the PRs waiting for a canary slot: ${(error as Error).message}`);
  }
}
