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
// version file), e (v3), 8 (a version file that declares no valid version), 9 (v2 again, with a
// README fix).
const sha = (c: string) => c.repeat(40);
const files: Record<string, Record<string, string>> = {
  [sha('a')]: { 'fraud.yaml': 'version: v1\n' },
  [sha('b')]: { 'fraud.yaml': 'version: v2\n' },
  [sha('c')]: { 'fraud.yaml': 'version: v1\n' },
  [sha('d')]: {},
  [sha('e')]: { 'fraud.yaml': 'version: v3\n' },
  [sha('8')]: { 'fraud.yaml': 'version: "$(id)"\n' },
  [sha('9')]: { 'fraud.yaml': 'version: v2\n', 'README.md': 'fixed a typo\n' },
};

async function world() {
  const { config } = parseConfig(FRAUD_CANARY_YAML, {});
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-plan-live-')), 'ledger.json'));
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const ports = enginePorts({ ledger, files, clock: new FakeClock(), target });
  const event = (
    action: string,
    head: string,
    opts: { merged?: boolean; number?: number; base?: string } = {},
  ) =>
    ({
      action,
      number: opts.number ?? 7,
      baseSha: sha(opts.base ?? 'a'),
      headSha: sha(head),
      merged: opts.merged === true,
    }) satisfies PullRequestEvent;
  const plan = (e: PullRequestEvent, only?: string) => planPullRequest(config, ports, e, only);
  /** The matrix job of one model for the event. */
  const job = (e: PullRequestEvent, only: string) =>
    handlePullRequest(config, e, ports, { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false, only });
  expect((await job(event('opened', 'b'), 'fraud')).releases[0]?.status).toBe('ready');
  return { ledger, target, ports, event, plan, job };
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

  const invalid =
    'fraud.yaml: key "version": "$(id)" is not a valid version (letters, digits, . _ + - only, at most 128 characters)';

  it('merged on a head whose version file is invalid: listed, and its job withdraws it unpromoted', async () => {
    const { ledger, target, event, plan, job } = await world();
    const merged = event('closed', '8', { merged: true });
    expect((await plan(merged)).models.map(plannedSentence)).toEqual([
      `fraud: v2 of this PR is still deployed (ready) but the merged head 8888888 declares no valid version in fraud.yaml, so there is nothing to promote or analyse: its job withdraws it unpromoted and frees the canary slot; ${invalid}`,
    ]);
    expect((await job(merged, 'fraud')).releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
    expect(await ledger.history('fraud')).toEqual([]);
  });

  it('closed without merging on a head whose version file is invalid: listed, and its job withdraws it', async () => {
    const { target, event, plan, job } = await world();
    const closed = event('closed', '8');
    expect((await plan(closed)).matrix).toEqual({ include: [{ model: 'fraud' }] });
    expect((await job(closed, 'fraud')).releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('an open PR whose head version is invalid still fails the plan, naming the file', async () => {
    const { event, plan } = await world();
    await expect(plan(event('synchronize', '8'))).rejects.toThrow(invalid);
  });

  it("merged with a base that already declares the candidate's version: its job promotes it, as the plan says", async () => {
    const { ledger, target, event, plan, job } = await world();
    // Base b already declares v2 (a PR with the same version merged first); the event keeps it.
    const merged = event('closed', '9', { merged: true, base: 'b' });
    expect((await plan(merged)).models.map(plannedSentence)).toEqual([
      'fraud: v2 of this PR is still deployed (ready): its job promotes it if it passes on the merged head 9999999, else withdraws it',
    ]);
    expect((await job(merged, 'fraud')).releases).toMatchObject([{ to: 'v2', status: 'promoted' }]);
    expect(target.state).toEqual({ stable: { version: 'v2' } });
    expect(await ledger.history('fraud')).toMatchObject([{ kind: 'promotion', version: 'v2' }]);
  });

  it('merged on a head that declares another version its listed files leave out: its job withdraws it unpromoted', async () => {
    const { target, ports, event, plan, job } = await world();
    // The PR's list of files, older than the head, does not name fraud.yaml.
    ports.touchedFiles = async () => new Set(['README.md']);
    const merged = event('closed', 'e', { merged: true });
    expect((await plan(merged)).models.map(plannedSentence)).toEqual([
      'fraud: v2 of this PR is still deployed (ready) but the merged head eeeeeee declares v3: its job withdraws it unpromoted (on-merge: require-pass) and frees the canary slot',
    ]);
    expect((await job(merged, 'fraud')).releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it("not another PR's candidate", async () => {
    const { event, plan } = await world();
    expect((await plan(event('opened', 'c', { number: 8 }))).hasModels).toBe(false);
  });
});
