import { beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { targetFor } from '../../src/release/adapters.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import type { Target } from '../../src/targets/target.js';
import type { ProxiedRequest } from '../support/holding-proxy.js';
import { useProxiedGitHub } from '../support/proxied-github.js';
import { deferred, raceJobs, raceMetrics, useRaceWorld } from '../support/race-world.js';

// A PR's job in watch mode reads the PR's comment to record its lease; before its write lands, a
// workflow_dispatch rollback runs whole: v1 alone serves, the comment says the release was aborted,
// its canary claim (a GitHub Deployment) is ended. The job's write then puts its own record back
// over the rollback's (GitHub has no conditional write of a comment). The claim's end, a
// Deployment status, cannot be written over: the job must find it before it gives v2 traffic again.
// Each job talks to the GitHub stand-in through its own proxy, so one's request waits while the
// other runs.
const world = useRaceWorld({ firstPr: 4300, firstRunId: 43000, closePr: (closed) => prJob(closed, 'tick') });
const { prJob, scheduleTick, rollbackTo } = raceJobs(world, () => config, true);
let config: Config;
const github = useProxiedGitHub(world, 2);
const prProxy = () => github.proxy(0);
const dispatchProxy = () => github.proxy(1);
const through = github.through;

beforeAll(() => {
  config = world.configWith('[10, 50]');
});

const isCommentWrite = ({ method, path }: ProxiedRequest) =>
  method === 'PATCH' && /\/issues\/comments\/\d+$/.test(path);

/** The dispatch's last read of the PR's comments, after its writes: where it checks they held. */
function settleRead() {
  let wrote = false;
  return ({ method, path }: ProxiedRequest) => {
    wrote ||= isCommentWrite({ method, path, body: '' });
    return wrote && method === 'GET' && /\/issues\/\d+\/comments(\?|$)/.test(path);
  };
}

/**
 * The PR's job in watch mode, on the sandbox; `afterLiveChange` runs before its first look at the
 * metrics after it gave v2 live traffic (the wait for its next look).
 */
function watchJob(event: PullRequestEvent, afterLiveChange: () => Promise<void>) {
  const warnings: string[] = [];
  let gaveTraffic = false;
  const target = (model: ModelConfig): Target => {
    const sandbox = targetFor(model);
    return Object.create(sandbox, {
      write: {
        value: async (desired: TrafficState) => {
          const written = await sandbox.write(desired);
          gaveTraffic ||= (desired.canary?.weight ?? 0) > 0;
          return written;
        },
      },
    });
  };
  const metrics = raceMetrics(async () => {
    if (gaveTraffic) await afterLiveChange();
  });
  const { ports, publish } = world.job(event, config, { metrics, target, warnings, liveComment: true });
  const run = handlePullRequest(config, event, ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false });
  return { warnings, done: run.then(publish) };
}

/**
 * The PR's release analysing step 1 (v2 at 10%), then its job in watch mode whose first comment write
 * (its lease) waits while a rollback to v1 by workflow_dispatch runs; `settleLate`: that rollback's
 * check of its writes waits until the job's next look after it gave v2 traffic (or its end).
 */
async function race(settleLate: boolean) {
  const event = world.pullRequest('v2', 2);
  await prJob(event, 'tick');
  expect(await world.serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  world.clock.advance(20_000);
  const settle = deferred();
  const settling = deferred();
  if (settleLate)
    dispatchProxy().holdNext(settleRead(), () => {
      settling.resolve();
      return settle.promise;
    });
  let rollback: Promise<unknown> = Promise.resolve();
  prProxy().holdNext(isCommentWrite, async () => {
    rollback = through(dispatchProxy(), () => rollbackTo('v1'));
    await (settleLate ? Promise.race([settling.promise, rollback]) : rollback);
  });
  const afterLiveChange = async () => {
    settle.resolve();
    await rollback;
  };
  const job = through(prProxy(), () => watchJob(event, afterLiveChange));
  const result = await job.done;
  await afterLiveChange();
  return { event, result, warnings: job.warnings };
}

describe("a rollback by workflow_dispatch that a PR job's stale comment write dropped", () => {
  it("its check coming after the job's next step: the job gives v2 no traffic, v1 alone serves, for good", async () => {
    const { event, warnings } = await race(true);
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(warnings.join('\n')).toContain('fraud-detector v2 was ended by another run');
    expect(world.comment()).toContain('## model-gate: ⏹️ Withdrawn');
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'aborted' });
    expect(world.github.commitStatuses(event.headSha).at(-1)).toMatchObject({
      state: 'error',
      description: expect.stringContaining('a rollback to v1 by workflow_dispatch withdrew it'),
    });
    // The next schedule tick finds nothing of v2 to act on.
    world.clock.advance(60_000);
    await scheduleTick();
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
  });

  it('its check coming first: the job does not go on to ready, and the comment and commit status say withdrawn', async () => {
    const { event, result } = await race(false);
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(result.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(world.comment()).toContain('## model-gate: ⏹️ Withdrawn');
    expect(world.comment()).not.toContain('Ready to merge');
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'aborted' });
    const statuses = world.github.commitStatuses(event.headSha);
    expect(statuses.at(-1)).toMatchObject({
      state: 'error',
      description: expect.stringContaining('a rollback to v1 by workflow_dispatch withdrew it'),
    });
    expect(statuses.filter((s) => s.state === 'success')).toEqual([]);
  });
});
