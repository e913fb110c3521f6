import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import type { ProxiedRequest } from '../support/holding-proxy.js';
import { useProxiedGitHub } from '../support/proxied-github.js';
import { MODEL, raceJobs, useRaceWorld } from '../support/race-world.js';

// A PR's v2 passed (ready). Its merge job reads the comment again, then asks whether the canary
// claim v2's analysis made is still held before it promotes. A rollback to v1 by workflow_dispatch
// runs whole between those two reads: it records v2 aborted and ends that claim. The merge job found
// the claim ended and said v2's ready "did not come from an analysis" (untrue: a rollback ended it),
// and saved that over the rollback's record. The merge job talks to the GitHub stand-in through a
// proxy that holds its claim read while the rollback runs.
const world = useRaceWorld({ firstPr: 9400, firstRunId: 94000, closePr: (closed) => prJob(closed, 'tick') });
const { job, prJob, rollbackTo } = raceJobs(world, () => config, true);
let config: Config;
const github = useProxiedGitHub(world);
const proxy = () => github.proxy();

beforeAll(() => {
  config = world.configWith('[10]');
});

/** The merge job's list of the canary claims of the PR's head: the claim check's first request. */
const claimList = ({ method, path }: ProxiedRequest) =>
  method === 'GET' && /\/deployments\?.*task=model-gate%3Acanary.*&sha=/.test(path);

/** The claim check's read of the claim's newest status, after that list. */
function claimStatusRead() {
  let listed = false;
  return (req: ProxiedRequest) => {
    listed ||= claimList(req);
    return listed && req.method === 'GET' && /\/deployments\/\d+\/statuses/.test(req.path);
  };
}

describe('a rollback by workflow_dispatch while the merge job checks the canary claim', () => {
  it.each([
    ['before its list of the claims', () => claimList],
    ['before its read of the claim status', claimStatusRead],
  ] as const)(
    "%s: the rollback's record stands, the job says another run ended v2; v1 alone serves",
    async (_, hold) => {
      const event = world.pullRequest('v2', 2);
      await prJob(event, 'tick');
      world.clock.advance(20_000);
      await prJob(event, 'tick');
      expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'ready' });

      let rolledBack: Release | undefined;
      proxy().holdNext(hold(), async () => {
        await rollbackTo('v1');
        rolledBack = await world.recorded();
      });
      const merged = { ...event, action: 'closed', merged: true };
      const warnings: string[] = [];
      const { ports, publish } = github.through(proxy(), () => job(merged, { warnings }));
      const result = await publish(
        await handlePullRequest(config, merged, ports, { mode: 'tick', maxWaitMs: 3_600_000, dryRun: false }),
      );

      expect(rolledBack).toMatchObject({ to: 'v2', status: 'aborted' });
      expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
      // The rollback's record stands, its reason and all: not one saying the ready was never analysed.
      expect(await world.recorded()).toMatchObject({ status: 'aborted', reason: rolledBack?.reason });
      expect(result.releases).toMatchObject([{ to: 'v2', status: 'aborted', reason: rolledBack?.reason }]);
      expect(world.comment()).not.toContain('has no canary claim');
      expect(warnings.join('\n')).not.toContain('has no canary claim');
      const notes = result.skipped.map((s) => s.why).join('\n');
      expect(notes).toContain(
        'v2 was not promoted by this job: another run recorded it aborted since this job read it',
      );
      const history = await world.ledgerOf().history(MODEL);
      expect(history.filter((e) => e.kind === 'promotion' && e.pr === world.pr)).toEqual([]);
    },
  );
});
