import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { runDecision } from '../../src/report/decision.js';
import { enginePorts } from '../support/engine-ports.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';

// Two workflow_dispatch rollbacks of one model started at the same moment (each dispatch run has
// its own concurrency group) both read the ledger before either recorded: both rolled back v3 to
// v2 (the same traffic: safe), and the Deployments page, the audit trail of what served when,
// showed that rollback twice. Now the later deployment of the two steps back. The engine's command
// with GitHub as the ledger, on the GitHub stand-in that checks each request against GitHub's
// OpenAPI description.
const MODEL = 'fraud';
const ENV = `model-gate/${MODEL}`;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const { config } = parseConfig(FRAUD_CANARY_YAML, {});
const CREATE_DEPLOYMENT = 'POST /repos/{owner}/{repo}/deployments';

let github: FakeGitHub;
const clock = new FakeClock(Date.now());
const target = new MemoryTarget({ stable: { version: 'v3' } });

beforeAll(async () => {
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await github?.close();
});

/** A run's ledger on GitHub; `beforeCreate` runs before each deployment it makes. */
function ledgerOf(beforeCreate?: () => Promise<void>) {
  const client = getOctokit('ghs_x', { baseUrl: github.url });
  if (beforeCreate)
    client.hook.before('request', async (o) => {
      if (`${o.method} ${o.url}` === CREATE_DEPLOYMENT) await beforeCreate();
    });
  return new GitHubLedger({ client, repo, sha: sha(999), clock });
}

/**
 * Two `command: rollback` runs of the model at once, each making its deployment only once both
 * have read the ledger and come to make theirs.
 */
async function twoRollbacksAtOnce() {
  let arrived = 0;
  let bothThere = () => {};
  const both = new Promise<void>((resolve) => {
    bothThere = resolve;
  });
  const run = () => {
    let waited = false;
    const ledger = ledgerOf(async () => {
      if (waited) return;
      waited = true;
      if (++arrived === 2) bothThere();
      await both;
    });
    const ports = enginePorts({ ledger, files: {}, clock, target });
    return handleCommand(
      config,
      'rollback',
      { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' },
      ports,
    ).then(runDecision);
  };
  return Promise.all([run(), run()]);
}

/** The model's promotions and rollbacks as the Deployments page lists them: change and newest state. */
const shown = () =>
  github
    .deployments(ENV)
    .filter((d) => d.task === 'deploy')
    .map((d) => `${d.description}: ${d.statuses.at(-1)?.state}`);

/** The model's history as the next run reads it back. */
const history = async () =>
  (await ledgerOf().history(MODEL)).map((e) => `${e.kind} ${e.previous} -> ${e.version}`);

describe('two rollbacks dispatched at the same moment', () => {
  it('are recorded once; the same rollback again after a new promotion is its own step', async () => {
    const seed = ledgerOf();
    const promotion = { model: MODEL, kind: 'promotion' as const, at: clock.now(), summary: 'passed' };
    await seed.record({ ...promotion, version: 'v2', previous: 'v1', pr: 2 });
    await seed.record({ ...promotion, version: 'v3', previous: 'v2', pr: 3 });

    expect(await twoRollbacksAtOnce()).toEqual(['rolled-back', 'rolled-back']);
    expect(target.state).toEqual({ stable: { version: 'v2' } });
    expect(shown()).toEqual([
      'promotion v1 -> v2: inactive',
      'promotion v2 -> v3: inactive',
      'rollback v3 -> v2: success',
    ]);
    expect(await history()).toEqual(['promotion v1 -> v2', 'promotion v2 -> v3', 'rollback v3 -> v2']);

    // v3 promoted again (its fix), then rolled back again by two runs at once: one more rollback.
    await seed.record({ ...promotion, version: 'v3', previous: 'v2', pr: 4 });
    target.state = { stable: { version: 'v3' } };
    expect(await twoRollbacksAtOnce()).toEqual(['rolled-back', 'rolled-back']);
    expect(target.state).toEqual({ stable: { version: 'v2' } });
    expect(shown()).toEqual([
      'promotion v1 -> v2: inactive',
      'promotion v2 -> v3: inactive',
      'rollback v3 -> v2: inactive',
      'promotion v2 -> v3: inactive',
      'rollback v3 -> v2: success',
    ]);
    expect(await history()).toEqual([
      'promotion v1 -> v2',
      'promotion v2 -> v3',
      'rollback v3 -> v2',
      'promotion v2 -> v3',
      'rollback v3 -> v2',
    ]);
  });
});
