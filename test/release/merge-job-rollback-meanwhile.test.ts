import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import type { TrafficState } from '../../src/core/traffic.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import type { Target } from '../../src/targets/target.js';
import type { ProxiedRequest } from '../support/holding-proxy.js';
import { useProxiedGitHub } from '../support/proxied-github.js';
import { MODEL, once, raceJobs, useRaceWorld } from '../support/race-world.js';

// A PR's v2 passed (ready). Its merge job records the merge on the PR's comment before it promotes:
// it reads the comment, then writes it whole. A rollback to v1 by workflow_dispatch runs whole in
// between: v1 alone serves, the comment says aborted, the release's canary claim is ended. The merge
// job's write put its ready record back over the rollback's, and it promoted v2: v2 served, the
// comment said Promoted. Or the rollback came just before that read: the job still gave v2 all the
// traffic before it found the rollback and put v1 back. Or it ran whole between the merge job's
// re-read and its check that v2's canary claim is still held: the job found the claim ended, said
// v2's ready "did not come from an analysis" (untrue: a rollback ended it), and saved that over the
// rollback's record. The merge job talks to the GitHub stand-in through a proxy that holds its
// request while the rollback runs.
const world = useRaceWorld({ firstPr: 9300, firstRunId: 93000, closePr: (closed) => prJob(closed, 'tick') });
const { job, prJob, rollbackTo } = raceJobs(world, () => config, true);
let config: Config;
const github = useProxiedGitHub(world);
const proxy = () => github.proxy();

beforeAll(() => {
  config = world.configWith('[10]');
});

const commentWrite = ({ method, path }: ProxiedRequest) =>
  method === 'PATCH' && /\/issues\/comments\/\d+$/.test(path);

/** The merge job's first read of the comment after it found the canary claim held: the read its write builds on. */
function readAfterClaimCheck() {
  let claimChecked = false;
  return ({ method, path }: ProxiedRequest) => {
    claimChecked ||= /\/deployments\/\d+\/statuses/.test(path);
    return claimChecked && method === 'GET' && /\/issues\/comments\/\d+$/.test(path);
  };
}

/** The sandbox as the merge job sees it, noting each state it asks for. */
function recordingTarget(asked: TrafficState[]) {
  return (model: ModelConfig): Target => {
    const sandbox = targetFor(model);
    return Object.create(sandbox, {
      write: {
        value: (desired: TrafficState) => {
          asked.push(desired);
          return sandbox.write(desired);
        },
      },
    });
  };
}

describe('a rollback by workflow_dispatch while the merge job records the merge', () => {
  it.each([
    ['between its read of the comment and its write', () => commentWrite],
    ['just before that read', readAfterClaimCheck],
  ] as const)('%s: v2 is not promoted, v1 alone serves, the comment says withdrawn', async (_, hold) => {
    const event = world.pullRequest('v2', 2);
    await prJob(event, 'tick');
    world.clock.advance(20_000);
    await prJob(event, 'tick');
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'ready' });

    proxy().holdNext(hold(), () => rollbackTo('v1'));
    const merged = { ...event, action: 'closed', merged: true };
    const warnings: string[] = [];
    const asked: TrafficState[] = [];
    const { ports, publish } = github.through(proxy(), () =>
      job(merged, { warnings, target: recordingTarget(asked) }),
    );
    const result = await publish(
      await handlePullRequest(config, merged, ports, { mode: 'tick', maxWaitMs: 3_600_000, dryRun: false }),
    );

    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(asked).toEqual([]);
    const history = await world.ledgerOf().history(MODEL);
    expect(history.filter((e) => e.kind === 'promotion' && e.pr === world.pr)).toEqual([]);
    expect(result.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'aborted' });
    expect(world.comment()).toContain('## model-gate: ⏹️ Withdrawn');
    expect(world.comment()).not.toContain('Promoted');
    expect(warnings.join('\n')).toContain(`${MODEL} v2 was ended by another run`);
  });
});

// Two `model-gate run` processes on one ledger file: the rollback lands after the merge job read the
// release, before it saves the merge. The file refuses that save, and the merge job failed on it.
describe('a rollback by workflow_dispatch before the merge job saves the merge, releases kept in a ledger file', () => {
  afterEach(() => world.useLedgerFile(false, ''));

  it('the merge job says another run ended v2, promotes nothing and does not fail; v1 alone serves', async () => {
    await world.useLedgerFile(true, 'model-gate-merge-job-rollback-');
    const event = world.pullRequest('v2', 2);
    await prJob(event, 'tick');
    world.clock.advance(20_000);
    await prJob(event, 'tick');

    const merged = { ...event, action: 'closed', merged: true };
    const warnings: string[] = [];
    const asked: TrafficState[] = [];
    const { ports, publish } = job(merged, { warnings, target: recordingTarget(asked) });
    const rollback = once(() => rollbackTo('v1'));
    const file = ports.ledger;
    // The rollback runs whole as the merge job goes to save its first record: the merge.
    const ledger: Ledger = Object.create(file, {
      saveRelease: {
        value: async (r: Parameters<Ledger['saveRelease']>[0]) => {
          await rollback();
          return file.saveRelease(r);
        },
      },
    });
    const result = await publish(
      await handlePullRequest(
        config,
        merged,
        { ...ports, ledger },
        { mode: 'tick', maxWaitMs: 3_600_000, dryRun: false },
      ),
    );

    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(asked).toEqual([]);
    expect(result.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'aborted' });
    expect(warnings.join('\n')).toContain(`${MODEL} v2 was ended by another run`);
  });
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
