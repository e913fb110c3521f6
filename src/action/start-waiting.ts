import * as core from '@actions/core';
import type { GitHubLedger } from '../github/github-ledger.js';
import type { QueueEvent } from '../github/slot-queue.js';
import { asLogText } from './log-text.js';

/**
 * Once this job has freed a model's canary slot, re-run the job of the PR that waited for it
 * first. Its failure never fails this job: the waiting PR's comment already says how to start it.
 */
export async function startWaiting(ledger: GitHubLedger | undefined, also: string[] = []): Promise<void> {
  if (!ledger) return;
  try {
    for (const event of await ledger.startWaiting(also)) report(event);
  } catch (error) {
    core.warning(`could not start the PRs waiting for a canary slot: ${(error as Error).message}`);
  }
}

function report(e: QueueEvent): void {
  const waiter = `${e.model}: PR #${e.pr}, which waited for the canary slot`;
  if (e.outcome === 'started') {
    core.info(asLogText(`${waiter}, takes it: its run ${e.run} was re-run`));
  } else if (e.outcome === 'dropped') {
    core.warning(
      `${waiter}, left the queue: its run ${e.run} cannot be re-run (${e.why}); re-run its job by hand`,
    );
  } else {
    const then = /not accessible by integration/i.test(e.why ?? '')
      ? 'give the workflow the actions: write permission, or re-run it by hand'
      : 'the next freed slot or schedule tick tries again';
    core.warning(
      `${waiter}, keeps waiting: the slot is free, but its run ${e.run} could not be re-run (${e.why}); ${then}`,
    );
  }
}
