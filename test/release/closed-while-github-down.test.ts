import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { metricsFor } from '../../src/release/adapters.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { fraudAbConfig } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { MODEL, useRaceWorld } from '../support/race-world.js';

// A schedule tick asks GitHub for the PR of each release it drives (the action's port, here on the
// GitHub stand-in): an A/B whose PR was closed while GitHub was down (its close job died before it
// recorded anything) is ended and its candidate withdrawn; a dry run says it would, and changes
// nothing. The platform is a real sandbox; the ledger the PR's comment; time a fake clock.
const world = useRaceWorld({ firstPr: 180, firstRunId: 1800, closePr: (closed) => prJob(closed) });
let config: Config;
beforeAll(() => {
  config = parseConfig(fraudAbConfig('model.yaml'), { SANDBOX_URL: world.sandbox.url }).config;
});

/** One job with the ports the action builds on GitHub: its ledger the PR's comment, and the PR's state. */
const job = (event: PullRequestEvent | undefined, warnings: string[] = []) =>
  world.job(event, config, {
    metrics: metricsFor(config.models[MODEL] as ModelConfig),
    warnings,
    pullRequestState: true,
  });

async function prJob(event: PullRequestEvent) {
  const { ports, publish } = job(event);
  return publish(
    await handlePullRequest(config, event, ports, { mode: 'tick', maxWaitMs: 0, dryRun: false }),
  );
}

async function scheduleTick(dryRun: boolean, warnings: string[] = []) {
  const { ports, publish } = job(undefined, warnings);
  return publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun }));
}

const AB_LIVE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };

/** The test's PR opened (its A/B started) and then closed on GitHub, no job recording the close. */
async function closedUnrecorded() {
  const opened = await prJob(world.pullRequest('v2', 2));
  expect(opened.releases[0]?.status).toBe('analysing');
  world.github.setPullRequest(world.pr, { baseSha: sha(1), headSha: sha(2), files: [], state: 'closed' });
  expect(await world.serving()).toMatchObject(AB_LIVE);
}

describe('a schedule tick finding an A/B whose PR was closed unrecorded', () => {
  it('a dry run says it would withdraw v2, and changes neither traffic nor the record', async () => {
    await closedUnrecorded();
    const dry = await scheduleTick(true);
    expect(dry.releases).toEqual([]);
    expect(dry.skipped).toContainEqual({
      model: MODEL,
      why: `would withdraw v2: PR #${world.pr} was closed without merging, but its close job did not record it (it stopped before it could: GitHub not answering, say)`,
      kind: 'dry-run',
    });
    expect(await world.serving()).toMatchObject(AB_LIVE);
    expect(await world.recorded()).toMatchObject({ status: 'analysing' });
  });

  it('a tick ends it aborted, v2 withdrawn, and says why in the log and on the PR', async () => {
    await closedUnrecorded();
    const warnings: string[] = [];
    const tick = await scheduleTick(false, warnings);
    const why = `PR #${world.pr} was closed without merging, but its close job did not record it (it stopped before it could: GitHub not answering, say); v2 withdrawn by a schedule tick`;
    expect(tick.releases).toMatchObject([{ model: MODEL, status: 'aborted', reason: why }]);
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(await world.recorded()).toMatchObject({ status: 'aborted', reason: why });
    expect(warnings).toContain(`${MODEL}: ${why}`);
    expect(world.comment()).toContain(`PR #${world.pr} was closed without merging`);
  });
});
