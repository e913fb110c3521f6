import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { gitHubClient } from '../../src/github/client.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { NotStartedError } from '../../src/release/unprepared-models.js';
import { OPENED, REPO } from '../support/comment-owner-world.js';
import { enginePorts } from '../support/engine-ports.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';

// The action's side of a PR changing two models whose second one's target cannot be read: the
// first model's release used to be recorded, its canary slot claimed (a Deployment in progress),
// before the run stopped on the second. Another PR then queued behind a slot no run would free
// until a tick deployed the unreported candidate. Now nothing is claimed, deployed or recorded.

/** fraud on its two-step canary (FRAUD_CANARY_YAML), and ranker beside it. */
const CONFIG = parseConfig(
  `${FRAUD_CANARY_YAML}  ranker:
    source: { file: ranker.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
  {},
).config;

const FILES = {
  [sha(2)]: { 'fraud.yaml': 'version: v1\n', 'ranker.yaml': 'version: r1\n' },
  [sha(3)]: { 'fraud.yaml': 'version: v2\n', 'ranker.yaml': 'version: r2\n' },
};

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub(REPO);
  github.setPullRequest(1, { baseSha: sha(2), headSha: sha(3), files: [] });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const ledgerOf = (pr?: number) =>
  new GitHubLedger({
    client: gitHubClient({ token: 'ghs_job', baseUrl: github.url, warn: () => {}, waitScale: 0.001 }),
    repo: REPO,
    sha: sha(3),
    ...(pr === undefined ? {} : { pr }),
    models: Object.keys(CONFIG.models),
  });

it("claims no canary slot and deploys nothing when another changed model's target cannot be read", async () => {
  const fraud = new MemoryTarget({ stable: { version: 'v1' } });
  const ranker = new MemoryTarget({ stable: { version: 'r1' } });
  ranker.read = async () => {
    throw new TargetError('sandbox ranker refused: unknown model "ranker"');
  };
  const ports = {
    ...enginePorts({ ledger: ledgerOf(1), files: FILES, clock: new FakeClock(), target: fraud }),
    targetFor: (model: { name: string }) => (model.name === 'ranker' ? ranker : fraud),
  };

  const run = handlePullRequest(CONFIG, OPENED, ports, { mode: 'tick', maxWaitMs: 3_600_000, dryRun: false });
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );

  // What another PR's job or a schedule tick reads: no slot held, nothing on the Deployments page.
  expect(github.deployments('model-gate/fraud')).toEqual([]);
  expect(await ledgerOf().canaryHolder('fraud')).toBeUndefined();
  expect(fraud.writes).toEqual([]);
  // The run fails saying which model and why, and what became of the other.
  expect(error).toBeInstanceOf(NotStartedError);
  expect((error as Error).message).toContain(
    'ranker: r2 not started: sandbox ranker refused: unknown model "ranker"\nfraud v2 not started either',
  );
});
