import { expect, it } from 'vitest';
import { head, repo, usePr7HeadRecord } from './pr7-head-record-world.js';

// A PR comment's record of a pending withdrawal counts only with the canary claim it names on
// record (made by this token for the same PR, versions and head). Each analysis of a head claims
// the slot again, so a head analysed many times has the record's claim behind newer ones.

const world = usePr7HeadRecord();
const claimListings = () =>
  world.github.requests.filter(
    (r) => r.operationId === 'repos/list-deployments' && r.query.task === 'model-gate:canary',
  ).length;

it.each([
  [0, 1],
  [14, 2],
])(
  'keeps the record of a pending withdrawal whose claim has %i newer claims of the same head after it (%i listings)',
  async (newer, listings) => {
    const writer = world.client();
    const claim = async () =>
      (
        await writer.rest.repos.createDeployment({
          ...repo,
          ref: head,
          task: 'model-gate:canary',
          environment: 'model-gate/fraud',
          auto_merge: false,
          required_contexts: [],
          payload: { pr: 7, to: 'v2', from: 'v1', head },
          description: 'canary v1 -> v2',
        })
      ).data as { id: number };
    const { id } = await claim();
    await world.record(writer, {
      status: 'aborted',
      reason: 'closed by command; v2 withdrawn',
      withdrawPending: true,
      canaryDeployment: id,
      ending: { serves: 'v1' },
    });
    for (let i = 0; i < newer; i++) await claim();
    world.github.resetRequests();

    const next = world.ledger(world.client());
    expect(await next.release('fraud')).toMatchObject({
      status: 'aborted',
      withdrawPending: true,
      canaryDeployment: id,
    });
    expect(next.problems).toEqual([]);
    expect(claimListings()).toBe(listings);
  },
  60_000,
);
