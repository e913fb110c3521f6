import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { Deployments } from '../../src/github/deployments.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { runDecision } from '../../src/report/decision.js';
import { enginePorts } from '../support/engine-ports.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';

// Another tool deploys to the model's environment too (a job with `environment: model-gate/fraud`:
// GitHub Actions makes a Deployment of task `deploy` per run). Its deployments are not model-gate's
// promotions or rollbacks: they neither push those out of the model's history nor count as the
// deployment a rollback replaces. The engine's command with GitHub as the ledger, on the GitHub
// stand-in that checks each request against GitHub's OpenAPI description.
const MODEL = 'fraud';
const ENV = `model-gate/${MODEL}`;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const { config } = parseConfig(FRAUD_CANARY_YAML, {});
const LIST_DEPLOYMENTS = '/repos/{owner}/{repo}/deployments';

let github: FakeGitHub | undefined;
afterEach(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
  github = undefined;
});

/** A repository whose ledger has v1 -> v2 -> v3 on record, v3 serving; then `others` deployments of another tool. */
async function world(others: number, state: 'success' | 'none' = 'none') {
  const gh = await startFakeGitHub(repo);
  github = gh;
  const client = getOctokit('ghs_x', { baseUrl: gh.url });
  const clock = new FakeClock(Date.now());
  const ledgerOf = () => new GitHubLedger({ client, repo, sha: sha(999), clock });
  const seed = ledgerOf();
  const promotion = { model: MODEL, kind: 'promotion' as const, at: clock.now(), summary: 'passed' };
  await seed.record({ ...promotion, version: 'v2', previous: 'v1', pr: 2 });
  await seed.record({ ...promotion, version: 'v3', previous: 'v2', pr: 3 });
  await anotherToolDeploys(gh, others, state);
  const target = new MemoryTarget({ stable: { version: 'v3' } });
  const rollback = (toVersion?: string) =>
    handleCommand(
      config,
      'rollback',
      { model: MODEL, dryRun: false, trigger: 'workflow_dispatch', toVersion },
      enginePorts({ ledger: ledgerOf(), files: {}, clock, target }),
    ).then(runDecision);
  return { gh, client, clock, target, ledgerOf, rollback };
}

/** `count` deployments in the model's environment with GitHub's default task and no payload of model-gate's. */
async function anotherToolDeploys(gh: FakeGitHub, count: number, state: 'success' | 'none') {
  const client = getOctokit('ghs_x', { baseUrl: gh.url });
  const deploy = async () => {
    const made = await client.rest.repos.createDeployment({
      ...repo,
      ref: sha(1),
      environment: ENV,
      required_contexts: [],
      auto_merge: false,
      payload: { job: 'deploy-docs' },
    });
    const id = (made.data as { id: number }).id;
    if (state === 'success')
      await client.rest.repos.createDeploymentStatus({
        ...repo,
        deployment_id: id,
        state,
        auto_inactive: false,
      });
  };
  // A few at a time: hundreds one by one would take seconds.
  for (let made = 0; made < count; made += 10)
    await Promise.all(Array.from({ length: Math.min(10, count - made) }, deploy));
}

/** The environment's deployments of task deploy as the Deployments page lists them: change (or the other tool's) and newest state. */
const shown = (gh: FakeGitHub) =>
  gh
    .deployments(ENV)
    .filter((d) => d.task === 'deploy')
    .map((d) => `${d.description || 'other tool'}: ${d.statuses.at(-1)?.state}`);

describe("the ledger beside another tool's deployments in the model's environment", () => {
  it('a rollback by default goes back to the version before, past 30 of them', async () => {
    const { gh, target, ledgerOf, rollback } = await world(30);
    gh.resetRequests();
    expect((await ledgerOf().history(MODEL)).map((e) => `${e.previous} -> ${e.version}`)).toEqual([
      'v1 -> v2',
      'v2 -> v3',
    ]);
    // The one read of 30 a history takes, all another tool's; then a page of 100.
    expect(gh.requestCount('GET', LIST_DEPLOYMENTS)).toBe(2);

    expect(await rollback()).toBe('rolled-back');
    expect(target.state).toEqual({ stable: { version: 'v2' } });
  });

  it('a rollback to a version that never served is refused, the platform left as it is', async () => {
    const { target, rollback } = await world(30);
    await expect(rollback('v9')).rejects.toThrow(/to-version v9 never served fraud/);
    expect(target.state).toEqual({ stable: { version: 'v3' } });
  });

  it("a rollback marks model-gate's promotion it replaced inactive, not the other tool's deployment", async () => {
    const { gh, rollback } = await world(1, 'success');
    expect(await rollback()).toBe('rolled-back');
    expect(shown(gh)).toEqual([
      'promotion v1 -> v2: inactive',
      'promotion v2 -> v3: inactive',
      'other tool: success',
      'rollback v3 -> v2: success',
    ]);
  });

  it('a history past a page full of them is read from the next page', async () => {
    const { gh, ledgerOf } = await world(100);
    gh.resetRequests();
    const ledger = ledgerOf();
    expect(await ledger.history(MODEL)).toHaveLength(2);
    expect(gh.requestCount('GET', LIST_DEPLOYMENTS)).toBe(3);
    // The oldest on record was read: nothing older to look for.
    expect(await ledger.servedEarlier(MODEL, 'v0')).toBe(false);
    expect(gh.requestCount('GET', LIST_DEPLOYMENTS)).toBe(3);
  });

  it('the search stops after three pages of them and says so; a version named is still looked for further back', async () => {
    const { client, clock } = await world(300);
    const problems: string[] = [];
    const deployments = new Deployments(client, repo, sha(999), clock, undefined, problems);
    expect(await deployments.history(MODEL)).toEqual([]);
    expect(problems).toEqual([
      "the newest 300 deployments (task deploy) in environment model-gate/fraud are none of model-gate's promotions or rollbacks of fraud: another tool deploys there (a job's `environment: model-gate/fraud`?), and model-gate reads no further, so it knows no version that served fraud; give that job an environment of its own",
    ]);
    expect(await deployments.servedEarlier(MODEL, 'v1')).toBe(true);
    expect(await deployments.servedEarlier(MODEL, 'v9')).toBe(false);
  });
});
