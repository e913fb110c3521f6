import { describe, expect, it } from 'vitest';
import { configOf, IDLE, NamedTarget, STEP_1, twoModelsWorld } from './two-models-world.js';

// PR #9 changes fraud and churn; both pass on their own targets (fraud on A) and wait, ready, for
// the merge. The config then moves fraud to B. The merge job must not promote fraud on B (it was
// analysed on A), but that refusal must not keep churn from its promotion: before, the first
// refusal stopped the job, churn stayed ready with nothing left to promote it after the merge.

const BOTH = configOf();

describe("a merge whose config moved one of the PR's models", () => {
  it('promotes churn, leaves fraud ready and recorded as it was, then fails naming fraud', async () => {
    const w = await twoModelsWorld();
    await w.prJob(BOTH, 9);
    expect([w.platforms.fraud.state, w.platforms.churn.state]).toEqual([STEP_1, STEP_1]);
    for (let i = 0; i < 2; i++) {
      w.clock.advance(20_000);
      await w.tick(BOTH);
    }
    expect([w.platforms.fraud.state, w.platforms.churn.state]).toEqual([IDLE, IDLE]);
    const a = w.platforms.fraud;
    const b = new NamedTarget('memory target B');
    w.platforms.fraud = b;
    const fraudReady = await w.file.release('fraud');

    const merge = w.prJob(BOTH, 9, 'closed', true);
    await expect(merge).rejects.toThrow(
      "fraud: PR #9's candidate v2 was analysed on memory target A, but this run's config names memory target B as its target",
    );
    expect(w.platforms.churn.state).toEqual({ stable: { version: 'v2' } });
    expect(await w.file.release('churn')).toMatchObject({ status: 'promoted' });
    expect(b.writes).toEqual([]);
    expect(a.state).toEqual(IDLE);
    expect(await w.file.release('fraud')).toEqual(fraudReady);
    expect(await w.file.history('fraud')).toEqual([]);
  });
});
