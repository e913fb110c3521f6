import { afterAll, beforeAll, expect, it } from 'vitest';
import { gitHubClient } from '../../src/github/client.js';
import { setReleaseStatus } from '../../src/github/commit-status.js';
import type { Release } from '../../src/release/types.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { MODEL, prOnSandbox } from '../release/pr-on-sandbox.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import { platformPassThrough } from '../support/platform-pass-through.js';

// A rolling release of v2 on 4 instances, one a batch: the platform refuses the switch to batch 3,
// then the rollback. Its commit status was the reason cut at GitHub's 140 characters ("v2: the
// serving platform failed: sandbox … answered the traffic change with HTTP 503: …"), never saying
// that v2 still runs anywhere. It now says where first. The real sandbox behind a pass-through
// refusing those changes, a file ledger, the status written to the OpenAPI-checked GitHub stand-in.
const ROLLING =
  '{ type: rolling, instances: 4, batch-size: 1, step-duration: 1m, min-requests: 100, interval: 10s }';

let sandbox: Sandbox;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let refuse = false;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    const rolling = (body as { rolling?: { replaced: number } } | undefined)?.rolling;
    const refused = method === 'PUT' && refuse && (rolling === undefined || rolling.replaced >= 3);
    return refused ? { status: 503, body: { error: 'traffic API unavailable' } } : forward();
  });
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await platform?.close();
  await sandbox?.close();
  await github?.close();
});

it('a refused batch and rollback: the status leads with where v2 may still run', async () => {
  const w = await prOnSandbox({ url: platform.url } as Sandbox, { strategy: ROLLING, from: 'v1', to: 'v2' });
  let release: Release | undefined;
  for (let i = 0; i < 20 && release?.phase !== 1; i++) {
    release = (await w.open('tick')).releases[0];
    w.clock.advance(61_000);
  }
  refuse = true;
  for (let i = 0; i < 5 && release?.status === 'analysing'; i++) {
    release = (await w.open('tick')).releases[0];
    w.clock.advance(61_000);
  }
  expect(release).toMatchObject({ status: 'failed', withdrawPending: true });
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.05 });
  const repo = { owner: 'Codertocat', repo: 'Hello-World' };
  await setReleaseStatus(client, repo, (await w.ledger.release(MODEL)) as Release);
  const status = github.commitStatuses(sha(2)).at(-1);
  expect(status?.state).toBe('failure');
  expect(status?.description).toMatch(
    /^v2 may still run on 2 of 4 instances: the switch to batch 3 of 4 \(3\/4 instances\) and the rollback to v1 failed; sandbox fraud-detector at…$/,
  );
  refuse = false;
}, 60_000);
