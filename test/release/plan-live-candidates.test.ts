import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { planPullRequest } from '../../src/release/plan.js';
import { plannedLines, plannedSentence } from '../../src/release/plan-text.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { enginePorts } from '../support/engine-ports.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// A fan-out's plan job lists, besides the models a PR changes, each model whose candidate of the
// PR is still live, so that a job runs to settle it. Each case then runs that job (the engine, as
// the matrix job for the model would) and checks the plan said what it does.
// PR #7 takes fraud from v1 (head b) to v2 and ends ready; later heads: c (v1 again), d (no
// version file), e (v3).
const sha = (c: string) => c.repeat(40);
const files: Record<string, Record<string, string>> = {
  [sha('a')]: { 'fraud.yaml': 'version: v1\n' },
  [sha('b')]: { 'fraud.yaml': 'version: v2\n' },
  [sha('c')]: { 'fraud.yaml': 'version: v1\n' },
  [sha('d')]: {},
  [sha('e')]: { 'fraud.yaml': 'version: v3\n' },
};

async function world() {
  const { config } = parseConfig(FRAUD_CANARY_YAML, {});
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-plan-live-')), 'ledger.json'));
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const ports = enginePorts({ ledger, files, clock: new FakeClock(), target });
  const event = (action: string, head: string, opts: { merged?: boolean; number?: number } = {}) =>
    ({
      action,
      number: opts.number ?? 7,
      baseSha: sha('a'),
      headSha: sha(head),
      merged: opts.merged === true,
    }) satisfies PullRequestEvent;
  const plan = (e: PullRequestEvent, only?: string) => planPullRequest(config, ports, e, only);
  /** The matrix job of one model for the event. */
  const job = (e: PullRequestEvent, only: string) =>
    handlePullRequest(config, e, ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false, only });
  expect((await job(event('opened', 'b'), 'fraud')).releases[0]?.status).toBe('ready');
  return { ledger, target, event, plan, job };
}

describe("a PR's plan lists the models whose candidate of the PR is still live", () => {
  it('a head that puts the version back: listed once, and its job withdraws the candidate', async () => {
    const { target, event, plan, job } = await world();
    const pushed = event('synchronize', 'c');
    const p = await plan(pushed);
    expect(p.matrix).toEqual({ include: [{ model: 'fraud' }] });
    expect(p.hasModels).toBe(true);
    const [fraud] = p.models;
    expect(fraud).toMatchObject({ model: 'fraud', live: { version: 'v2', status: 'ready' } });
    expect(fraud?.to).toBeUndefined();
    const sentence =
      "fraud: v2 of this PR is still deployed (ready) but head ccccccc declares v1, as the base does, so the PR no longer changes fraud's version: its job withdraws it and frees the canary slot";
    expect(fraud && plannedSentence(fraud)).toBe(sentence);
    // No phases under it: its job runs none.
    expect(fraud && plannedLines(fraud)).toEqual([sentence]);

    expect((await job(pushed, 'fraud')).releases).toMatchObject([{ to: 'v2', status: 'superseded' }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    // Withdrawn: no longer listed, on the next push or the merge.
    expect((await plan(event('synchronize', 'c'))).hasModels).toBe(false);
    expect((await plan(event('closed', 'c', { merged: true }))).matrix).toEqual({ include: [] });
  });

  it('a head that deletes the version file: says so', async () => {
    const { event, plan, job } = await world();
    const p = await plan(event('synchronize', 'd'));
    expect(p.models.map(plannedSentence)).toEqual([
      "fraud: v2 of this PR is still deployed (ready) but head ddddddd has no fraud.yaml, so the PR no longer changes fraud's version: its job withdraws it and frees the canary slot",
    ]);
    expect((await job(event('synchronize', 'd'), 'fraud')).releases[0]?.status).toBe('superseded');
  });

  it('a head that changes the version again: listed once, as the change', async () => {
    const { event, plan } = await world();
    const p = await plan(event('synchronize', 'e'));
    expect(p.matrix).toEqual({ include: [{ model: 'fraud' }] });
    expect(p.models).toMatchObject([{ model: 'fraud', from: 'v1', to: 'v3' }]);
    expect(p.models[0]?.live).toBeUndefined();
  });

  it('merged on a head no run analysed, which puts the version back: its job withdraws it unpromoted', async () => {
    const { ledger, target, event, plan, job } = await world();
    const merged = event('closed', 'c', { merged: true });
    expect((await plan(merged)).models.map(plannedSentence)).toEqual([
      "fraud: v2 of this PR is still deployed (ready) but the merged head ccccccc declares v1, as the base does, so the PR no longer changes fraud's version: its job withdraws it unpromoted and frees the canary slot",
    ]);
    expect((await job(merged, 'fraud')).releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.history('fraud')).toEqual([]);
  });

  it('closed without merging on such a head: its job withdraws it', async () => {
    const { target, event, plan, job } = await world();
    const closed = event('closed', 'c');
    expect((await plan(closed)).models.map(plannedSentence)).toEqual([
      'fraud: v2 of this PR is still deployed (ready) and the PR was closed without merging: its job withdraws it and frees the canary slot',
    ]);
    expect((await job(closed, 'fraud')).releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it("not another PR's candidate", async () => {
    const { event, plan } = await world();
    expect((await plan(event('opened', 'c', { number: 8 }))).hasModels).toBe(false);
  });
});
