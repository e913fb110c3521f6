import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { PROMOTION_GRACE_MS } from '../../src/release/merged-ready.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { runStep } from '../support/actions-runner.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { type PlatformHook, platformPassThrough, workspaceWith } from '../support/platform-pass-through.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// The merge job of a PR whose candidate v2 passed is lost (its runner SIGKILLed) after the platform
// switched to v2 alone, before it recorded the promotion. The release used to stay "Ready to merge"
// for good: the comment said so, the commit status said v2 serves no traffic until the merge, the
// canary slot stayed held, and each tick asked for the merge job again. Now the merge is on record
// before the switch: the comment says the promotion is pending, and a schedule tick after the grace
// promotes v2. The merge job is the main step from src/ as its own process; the PR's job and the
// tick run in this process on a fake clock; the platform a real sandbox behind a pass-through; the
// ledger a PR comment and Deployments on the GitHub stand-in.
const world = useRaceWorld({ firstPr: 640, firstRunId: 6400, closePr: (closed) => prJob(closed) });
const FILE = 'model.yaml';
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
/** What the pass-through does with each request; undefined: passes it on. */
let hook: PlatformHook | undefined;
let yaml: string;
let config: Config;

beforeAll(async () => {
  platform = await platformPassThrough(world.sandbox.url, (request, forward) =>
    hook ? hook(request, forward) : forward(),
  );
  yaml = `version: 1
models:
  ${MODEL}:
    source: { file: ${FILE}, key: version }
    target: { type: sandbox, url: "${platform.url}" }
    metrics: { type: sandbox, url: "${world.sandbox.url}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
  config = parseConfig(yaml, {}).config;
  world.github.setFile(sha(1), FILE, 'version: v1\n');
  world.github.setFile(sha(2), FILE, 'version: v2\n');
});

afterAll(async () => {
  await platform?.close();
});

const shas = { base: sha(1), head: sha(2) };

/** The PR's job in this process (watched to the end), published as the action publishes it. */
async function prJob(event: ReturnType<typeof world.pullRequest>) {
  const { ports, publish } = world.job(event, config, {
    metrics: raceMetrics(async () => {}),
    liveComment: true,
  });
  return publish(
    await handlePullRequest(config, event, ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false }),
  );
}

/** The merge job as its own process, SIGKILLed as it reads back the switch to v2 alone. */
async function mergeJobLostAtReadBack() {
  let kill: (s: NodeJS.Signals) => void = () => {};
  let switched = false;
  hook = async ({ method, body }, forward) => {
    const promotion =
      method === 'PUT' && JSON.stringify(body) === JSON.stringify({ stable: { version: 'v2' } });
    if (promotion) switched = true;
    if (method === 'PUT' || !switched) return forward();
    kill('SIGKILL');
    return undefined;
  };
  const run = await runStep('index.js', {
    workspace: await workspaceWith(yaml, 'model-gate-lost-merge-'),
    eventName: 'pull_request',
    event: pullRequestEvent('closed', shas, { number: world.pr, merged: true }),
    env: { GITHUB_API_URL: world.github.url, GITHUB_RUN_ID: '6500' },
    inputs: { 'github-token': 'ghs_fake_token', ledger: 'github', 'max-wait': '2m' },
    fromSource: true,
    onSpawn: (k) => {
      kill = k;
    },
  });
  hook = undefined;
  return run;
}

describe('a merge job lost between the switch to v2 and the record of its promotion', () => {
  it('leaves the promotion pending on record, and a schedule tick after the grace promotes v2', async () => {
    const event = world.pullRequest('v2', 2);
    world.github.setPullRequest(world.pr, {
      ...{ baseSha: shas.base, headSha: shas.head },
      files: [{ filename: FILE, status: 'modified' }],
    });
    expect((await prJob(event)).releases[0]?.status).toBe('ready');
    expect(world.comment()).toContain('Ready to merge');

    const merge = await mergeJobLostAtReadBack();
    expect(merge.signal).toBe('SIGKILL');
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
    expect(await world.recorded()).toMatchObject({ status: 'ready', mergedAt: expect.any(Number) });
    expect(world.comment()).toContain('## model-gate: ⏳ Merged: promotion pending');
    expect(world.comment()).not.toContain('Ready to merge');
    expect(world.comment()).toContain(
      `v2 passed its analysis; the merge job of PR #${world.pr} is promoting it (should that job stop first, the next schedule tick promotes it)`,
    );

    // The next tick after the grace (the merge job may still be running before it) promotes v2.
    world.clock.advance(PROMOTION_GRACE_MS + 60_000);
    const warnings: string[] = [];
    const { ports, publish } = world.job(undefined, config, {
      metrics: raceMetrics(async () => {}),
      pullRequestState: true,
      warnings,
    });
    await publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 }));
    expect(warnings.join('\n')).not.toContain('re-run the merge job');
    expect(await world.recorded()).toMatchObject({ status: 'promoted', to: 'v2' });
    expect((await world.ledgerOf().history(MODEL)).at(-1)).toMatchObject({
      kind: 'promotion',
      version: 'v2',
      previous: 'v1',
      pr: world.pr,
    });
    expect(await world.ledgerOf().canaryHolder(MODEL)).toBeUndefined();
    expect(world.comment()).toContain('## model-gate: 🚀 Promoted');
    expect(world.github.commitStatuses(shas.head).at(-1)?.description).not.toContain(
      'until the PR is merged',
    );
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
  }, 60_000);
});
