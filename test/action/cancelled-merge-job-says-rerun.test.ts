import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { runStep } from '../support/actions-runner.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { type PlatformHook, platformPassThrough, workspaceWith } from '../support/platform-pass-through.js';
import { MODEL, raceMetrics, useRaceWorld } from '../support/race-world.js';

// The merge job of a PR whose candidate v2 passed is cancelled (SIGTERM) after the platform switched
// to v2 alone, before it recorded the promotion. Its error used to say "the post step withdraws the
// candidate": a merge job saves no candidate, its post step does nothing, and nothing is withdrawn.
// Now it says the promotion is pending and what finishes it; a re-run of the job does. The merge job
// is the main step from src/ as its own process; the PR's job runs in this process; the platform a
// real sandbox behind a pass-through; the ledger a PR comment and Deployments on the GitHub stand-in.
const world = useRaceWorld({ firstPr: 660, firstRunId: 6600, closePr: (closed) => prJob(closed) });
const FILE = 'model.yaml';
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
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

async function prJob(event: ReturnType<typeof world.pullRequest>) {
  const { ports, publish } = world.job(event, config, {
    metrics: raceMetrics(async () => {}),
    liveComment: true,
  });
  return publish(
    await handlePullRequest(config, event, ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false }),
  );
}

/** The merge job as its own process; `cancelled`: SIGTERMed as it reads back the switch to v2 alone. */
async function mergeJob(attempt: number, cancelled: boolean) {
  let kill: (s: NodeJS.Signals) => void = () => {};
  let switched = false;
  hook = async ({ method, body }, forward) => {
    if (method === 'PUT' && JSON.stringify(body) === JSON.stringify({ stable: { version: 'v2' } }))
      switched = true;
    if (cancelled && switched && method !== 'PUT') kill('SIGTERM');
    return forward();
  };
  const run = await runStep('index.js', {
    workspace: await workspaceWith(yaml, 'model-gate-cancelled-merge-'),
    eventName: 'pull_request',
    event: pullRequestEvent('closed', shas, { number: world.pr, merged: true }),
    env: { GITHUB_API_URL: world.github.url, GITHUB_RUN_ID: '6700', GITHUB_RUN_ATTEMPT: String(attempt) },
    inputs: { 'github-token': 'ghs_fake_token', ledger: 'github', 'max-wait': '2m' },
    fromSource: true,
    onSpawn: (k) => {
      kill = k;
    },
  });
  hook = undefined;
  return run;
}

describe('a merge job cancelled between the switch to v2 and the record of its promotion', () => {
  it('says the promotion is pending and that a re-run finishes it, which it does', async () => {
    const event = world.pullRequest('v2', 2);
    world.github.setPullRequest(world.pr, {
      ...{ baseSha: shas.base, headSha: shas.head },
      files: [{ filename: FILE, status: 'modified' }],
    });
    expect((await prJob(event)).releases[0]?.status).toBe('ready');

    const cancelled = await mergeJob(1, true);
    expect(cancelled.signal).toBe('SIGTERM');
    expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
    expect(cancelled.stdout).toContain(
      '::error::model-gate stopped on SIGTERM (the job was cancelled or ran out of time): promotion pending: a re-run of this job finishes it (so does a schedule tick, once the merge is on record and 10m have passed)',
    );
    expect(cancelled.stdout).not.toContain('withdraws the candidate');
    expect(JSON.parse(cancelled.state.cleanup ?? '[]')).toEqual([]);

    const rerun = await mergeJob(2, false);
    expect([rerun.code, rerun.outputs.decision]).toEqual([0, 'promoted']);
    expect(await world.recorded()).toMatchObject({ status: 'promoted', to: 'v2' });
  }, 60_000);
});
