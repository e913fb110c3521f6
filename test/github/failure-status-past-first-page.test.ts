import { expect, it } from 'vitest';
import { head, repo, usePr7HeadRecord } from './pr7-head-record-world.js';

// A release that failed before any deployment (an offline gate) made no canary claim: the failure
// commit status this token set on the head is what backs the PR comment's record of it. Other CI
// sets statuses on the same head, often more than one page of them after model-gate's.

const world = usePr7HeadRecord();
const listings = () =>
  world.github.requests.filter((r) => r.operationId === 'repos/list-commit-statuses-for-ref').length;

it.each([
  [0, 1],
  [120, 2],
])(
  'keeps the record of a failure before any deployment with %i other statuses set on the head since (%i listing)',
  async (others, pages) => {
    const writer = world.client();
    await world.record(writer, { status: 'failed', phase: -1, reason: 'offline gate auc failed' });
    for (let i = 0; i < others; i++)
      await writer.rest.repos.createCommitStatus({
        ...repo,
        sha: head,
        state: 'success',
        context: `ci/job-${i % 40}`,
      });
    world.github.resetRequests();

    const next = world.ledger(world.client());
    expect(await next.release('fraud')).toMatchObject({
      status: 'failed',
      reason: 'offline gate auc failed',
    });
    expect(next.problems).toEqual([]);
    expect(listings()).toBe(pages);
  },
  60_000,
);
