import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import {
  configOf,
  fraudIdlePending,
  IDLE,
  NamedTarget,
  STEP_1,
  STEP_2,
  twoModelsWorld,
} from './two-models-world.js';

// A ready candidate was analysed on target A; the config now names B (the model moved: a new URL,
// endpoint or cluster). A merge job, or a tick promoting a merged PR's candidate, promoted it on B,
// where it was never analysed, and recorded a promotion A never saw; a tick finishing its pending
// change to idle read B, found nothing live there and recorded "taken to idle" while A kept v2 on
// its last phase's traffic. Each now refuses, naming both targets, and records nothing; a tick
// still drives its other models, and fails at the end.

const BOTH = configOf();
const moved = (what: string) =>
  `fraud: PR #7's candidate v2 was ${what} on memory target A, but this run's config names memory target B as its target`;

/** fraud (PR #7) passed on A, `ready`; churn (PR #8) analysing at step 1. */
async function fraudReadyOnA() {
  const w = await twoModelsWorld();
  await w.prJob(BOTH, 7);
  for (let i = 0; i < 2; i++) {
    w.clock.advance(20_000);
    await w.tick(BOTH);
  }
  expect(await w.file.release('fraud')).toMatchObject({ status: 'ready' });
  expect(w.platforms.fraud.state).toEqual(IDLE);
  await w.prJob(BOTH, 8);
  expect(w.platforms.churn.state).toEqual(STEP_1);
  return w;
}

describe('a ready candidate analysed on target A, the config naming B', () => {
  it('the merge job does not promote it on B, and records nothing; under the config naming A it promotes it', async () => {
    const w = await fraudReadyOnA();
    const a = w.platforms.fraud;
    const b = new NamedTarget('memory target B');
    w.platforms.fraud = b;

    const merge = w.prJob(BOTH, 7, 'closed', true);
    await expect(merge).rejects.toThrow(`${moved('analysed')}: model-gate does not promote it there`);
    await expect(merge).rejects.toThrow('Promote it under a config that names memory target A');
    expect(b.writes).toEqual([]);
    expect(a.state).toEqual(IDLE);
    expect(await w.file.release('fraud')).toMatchObject({ status: 'ready' });
    expect(await w.file.history('fraud')).toEqual([]);

    w.platforms.fraud = a;
    await w.prJob(BOTH, 7, 'closed', true);
    expect(a.state).toEqual({ stable: { version: 'v2' } });
    expect(await w.file.release('fraud')).toMatchObject({ status: 'promoted' });
  });

  it('command promote does not promote it on B either', async () => {
    const w = await fraudReadyOnA();
    const b = new NamedTarget('memory target B');
    w.platforms.fraud = b;
    const promote = handleCommand(BOTH, 'promote', { model: 'fraud', dryRun: false }, w.ports);
    await expect(promote).rejects.toThrow(`${moved('analysed')}: model-gate does not promote it there`);
    expect(b.writes).toEqual([]);
    expect(await w.file.release('fraud')).toMatchObject({ status: 'ready' });
  });

  it('a tick does not promote its merged PR’s candidate on B: it drives churn and fails naming both targets', async () => {
    const w = await fraudReadyOnA();
    const a = w.platforms.fraud;
    // The merge job's promotion refused by A: the release stays ready, its merge on record.
    a.failFromWrite = a.writes.length;
    await w.prJob(BOTH, 7, 'closed', true);
    const pending = await w.file.release('fraud');
    expect(pending).toMatchObject({ status: 'ready', mergedAt: expect.any(Number) });
    a.failFromWrite = Number.POSITIVE_INFINITY;
    const b = new NamedTarget('memory target B');
    w.platforms.fraud = b;

    w.clock.advance(11 * 60_000);
    const { defects, ...result } = await w.tick(BOTH);
    expect(defects.map((d) => d.message)).toEqual([
      expect.stringContaining(`${moved('analysed')}: model-gate does not promote it there`),
    ]);
    expect(result.skipped).toContainEqual(
      expect.objectContaining({
        model: 'fraud',
        why: expect.stringContaining("PR #7's candidate v2 was analysed"),
      }),
    );
    expect(b.writes).toEqual([]);
    expect(a.state).toEqual(IDLE);
    expect(await w.file.release('fraud')).toEqual(pending);
    expect(await w.file.history('fraud')).toEqual([]);
    expect(w.platforms.churn.state).toEqual(STEP_2);
  });
});

describe('a ready candidate whose change to idle is pending on target A, the config naming B', () => {
  it('a tick leaves it and its record as they are, drives churn, and fails naming both targets', async () => {
    const w = await twoModelsWorld();
    // The guard read before fraud's change to idle fails (GitHub): the ready record is all that tick left.
    w.ports.ledger = await fraudIdlePending(w, BOTH);
    const pending = await w.file.release('fraud');
    expect(pending).toMatchObject({ status: 'ready', idlePending: true });
    expect(w.platforms.fraud.state).toEqual(STEP_2);
    const a = w.platforms.fraud;
    await w.prJob(BOTH, 8);
    const b = new NamedTarget('memory target B');
    w.platforms.fraud = b;

    w.clock.advance(60_000);
    const { defects, ...result } = await w.tick(BOTH);
    const why = `${moved('deployed')}: model-gate leaves it alone, and v2 may still get live traffic there`;
    expect(defects.map((d) => d.message)).toEqual([expect.stringContaining(why)]);
    expect(result.skipped).toContainEqual(
      expect.objectContaining({
        model: 'fraud',
        why: expect.stringContaining("PR #7's candidate v2 was deployed"),
      }),
    );
    expect(w.warnings.join('\n')).not.toContain('taken to idle');
    expect(b.writes).toEqual([]);
    expect(a.state).toEqual(STEP_2);
    expect(await w.file.release('fraud')).toEqual(pending);
    expect(w.platforms.churn.state).toEqual(STEP_2);

    // Under the config naming A again, the next tick takes it to idle.
    w.platforms.fraud = a;
    w.clock.advance(60_000);
    expect((await w.tick(BOTH)).defects).toEqual([]);
    expect(a.state).toEqual(IDLE);
    expect(await w.file.release('fraud')).not.toHaveProperty('idlePending');
  });
});
