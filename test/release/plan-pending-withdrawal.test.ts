import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import { planPullRequest } from '../../src/release/plan.js';
import { plannedLines, plannedSentence } from '../../src/release/plan-text.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { enginePorts } from '../support/engine-ports.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// A fan-out's plan job must start a job for a model whose release of the PR ended with its
// withdrawal pending (the platform refused it): else nothing retries it, and the candidate keeps
// its live traffic until someone acts. Each case refuses a withdrawal, plans the next event, then
// runs the job the plan fans out (the engine, as the matrix job for the model would).
// PR #7 takes fraud from v1 (head a) to v2 (head b); head c declares v1 again.
const sha = (c: string) => c.repeat(40);
const files: Record<string, Record<string, string>> = {
  [sha('a')]: { 'fraud.yaml': 'version: v1\n' },
  [sha('b')]: { 'fraud.yaml': 'version: v2\n' },
  [sha('c')]: { 'fraud.yaml': 'version: v1\n' },
};
const LIVE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };

/** A platform that refuses every traffic change while `refusing` is set. */
class RefusingTarget extends MemoryTarget {
  refusing = false;
  override async write(desired: TrafficState): Promise<void> {
    if (this.refusing) throw new TargetError('memory target: platform unavailable');
    await super.write(desired);
  }
}

async function world() {
  const { config } = parseConfig(FRAUD_CANARY_YAML, {});
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-plan-pending-')), 'ledger.json'));
  const target = new RefusingTarget({ stable: { version: 'v1' } });
  const ports = enginePorts({ ledger, files, clock: new FakeClock(), target });
  const event = (action: string, head: string, merged = false): PullRequestEvent => ({
    action,
    number: 7,
    baseSha: sha('a'),
    headSha: sha(head),
    merged,
  });
  const plan = (e: PullRequestEvent) => planPullRequest(config, ports, e);
  /** The matrix job of fraud for the event. */
  const job = (e: PullRequestEvent) =>
    handlePullRequest(config, e, ports, { mode: 'tick', maxWaitMs: 0, dryRun: false, only: 'fraud' });
  // Deployed at 10%, left analysing for later runs.
  expect((await job(event('opened', 'b'))).releases[0]).toMatchObject({ status: 'analysing' });
  expect(target.state).toEqual(LIVE);
  return { config, ledger, target, ports, event, plan, job };
}

const RETRY =
  'fraud: withdrawing v2 of this PR failed earlier, so it may still get live traffic: its job tries the withdrawal again, which frees the canary slot';

describe('a plan lists the model whose candidate of the PR has its withdrawal pending', () => {
  it('a push that put the version back, whose withdrawal the platform refused: the next event plans the retry', async () => {
    const { ledger, target, event, plan, job } = await world();
    // Head c puts v1 back: its job withdraws v2, and the platform refuses (its retry too).
    target.refusing = true;
    expect((await job(event('synchronize', 'c'))).releases).toMatchObject([
      { to: 'v2', status: 'superseded', withdrawPending: true },
    ]);
    expect(target.state).toEqual(LIVE);

    // A re-run of that event (or any later one on head c): fraud is planned, its job retries.
    const p = await plan(event('synchronize', 'c'));
    expect(p.matrix).toEqual({ include: [{ model: 'fraud' }] });
    expect(p.hasModels).toBe(true);
    const [fraud] = p.models;
    expect(fraud).toMatchObject({ live: { version: 'v2', status: 'superseded', withdrawPending: true } });
    expect(fraud && plannedLines(fraud)).toEqual([RETRY]);

    // The platform answers again: the job the plan fans out takes v2 out.
    target.refusing = false;
    await job(event('synchronize', 'c'));
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
    // Done: the next plan has nothing to do.
    expect((await plan(event('synchronize', 'c'))).hasModels).toBe(false);
  });

  it('closed after such a refusal: planned, and its job withdraws the candidate', async () => {
    const { ledger, target, event, plan, job } = await world();
    target.refusing = true;
    await job(event('synchronize', 'c'));
    expect(target.state).toEqual(LIVE);
    const closed = event('closed', 'c');
    expect((await plan(closed)).models.map(plannedSentence)).toEqual([RETRY]);
    target.refusing = false;
    expect((await job(closed)).releases).toMatchObject([{ to: 'v2', status: 'superseded' }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('a dispatch abort the platform refused, then merged on a head that changes the version: the plan says the job retries, not analyses', async () => {
    const { config, ledger, target, ports, event, plan, job } = await world();
    target.refusing = true;
    await expect(handleCommand(config, 'abort', { model: 'fraud', dryRun: false }, ports)).rejects.toThrow(
      /run the abort again/,
    );
    expect(await ledger.release('fraud')).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(target.state).toEqual(LIVE);

    const merged = event('closed', 'b', true);
    const p = await plan(merged);
    expect(p.matrix).toEqual({ include: [{ model: 'fraud' }] });
    expect(p.models.map(plannedSentence)).toEqual([RETRY]);
    target.refusing = false;
    expect((await job(merged)).releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
    expect(await ledger.history('fraud')).toEqual([]);
  });

  it('a dispatch abort the platform refused, then a push that puts the version back: planned, and its job withdraws it', async () => {
    const { config, target, ports, event, plan, job } = await world();
    target.refusing = true;
    await expect(handleCommand(config, 'abort', { model: 'fraud', dryRun: false }, ports)).rejects.toThrow(
      /run the abort again/,
    );
    const pushed = event('synchronize', 'c');
    expect((await plan(pushed)).models.map(plannedSentence)).toEqual([RETRY]);
    target.refusing = false;
    await job(pushed);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });
});
