import { describe, expect, it } from 'vitest';
import { type CommandInputs, handleCommand } from '../../src/release/commands.js';
import { fraudPr } from '../support/fraud-pr.js';

// The platform serves an older version than the ledger's last entry leaves serving: a rollback
// that landed but whose run stopped before recording it, or a version put back by hand. A rollback
// re-run with the same inputs records what landed and changes no traffic; going further back from a
// version put back by hand is the operator's call (to-version). Engine, file ledger, memory target.

/** fraud with `versions` promoted one after the other (v1 -> v2 -> …), and `serving` on the platform. */
async function world(versions: string[], serving: string) {
  const w = await fraudPr();
  for (let i = 1; i < versions.length; i++)
    await w.ledger.record({
      model: 'fraud',
      kind: 'promotion',
      version: versions[i] as string,
      previous: versions[i - 1] as string,
      at: i,
      pr: i + 1,
      summary: 'passed',
    });
  w.target.state = { stable: { version: serving } };
  const rollback = (inputs: Partial<CommandInputs> = {}) =>
    handleCommand(
      w.config,
      'rollback',
      { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch', ...inputs },
      w.ports,
    );
  const history = async () =>
    (await w.ledger.history('fraud')).map((e) => `${e.kind} ${e.previous}->${e.version}`);
  return { ...w, rollback, history };
}

describe('a rollback re-run after an earlier one landed unrecorded', () => {
  it('records the rollback it would have made, changes no traffic, and tells the PR of the version replaced', async () => {
    const w = await world(['v1', 'v2', 'v3'], 'v2');
    const result = await w.rollback();
    expect(result.rollbacks).toMatchObject([{ version: 'v2', previous: 'v3' }]);
    expect(result.skipped).toEqual([
      {
        model: 'fraud',
        why: "v2 already serves, though the ledger's last entry leaves v3 serving (a rollback whose run stopped before recording it, or a change by hand): the rollback v3 -> v2 is recorded now, and no traffic changed",
        kind: 'note',
      },
    ]);
    // PR #3 brought v3 in: it hears of the rollback, as it would have from the run that was lost.
    expect(result.notify).toEqual([
      { pr: 3, model: 'fraud', why: 'v3 was rolled back to v2 by workflow_dispatch' },
    ]);
    expect(w.target.writes).toEqual([]);
    expect(await w.history()).toEqual(['promotion v1->v2', 'promotion v2->v3', 'rollback v3->v2']);
  });

  it('in a dry run: says it would record it, and records nothing', async () => {
    const w = await world(['v1', 'v2', 'v3'], 'v2');
    const result = await w.rollback({ dryRun: true });
    expect(result.skipped).toEqual([
      {
        model: 'fraud',
        why: "v2 already serves, though the ledger's last entry leaves v3 serving (a rollback whose run stopped before recording it, or a change by hand): would record the rollback v3 -> v2, changing no traffic",
        kind: 'dry-run',
      },
    ]);
    expect(w.target.writes).toEqual([]);
    expect(await w.history()).toEqual(['promotion v1->v2', 'promotion v2->v3']);
  });
});

describe('a rollback from a version put back by hand further back than the previous stable', () => {
  it('asks for to-version rather than going further back, goes where it is told, and back to the version on record unasked', async () => {
    const w = await world(['v1', 'v2', 'v3', 'v4'], 'v2');
    await expect(w.rollback()).rejects.toThrow(
      "rollback fraud: set to-version; v2 serves, but the ledger's last entry leaves v4 serving (changed outside model-gate?): to go further back from a version put back by hand, name the version to serve",
    );
    expect(w.target.writes).toEqual([]);
    expect(await w.history()).toHaveLength(3);

    const told = await w.rollback({ toVersion: 'v1' });
    expect(told.rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });

    // Back to the version on record is no guess: v2 re-deployed by hand after a rollback from it.
    const x = await world(['v1', 'v2'], 'v2');
    await x.ledger.record({
      model: 'fraud',
      kind: 'rollback',
      version: 'v1',
      previous: 'v2',
      at: 9,
      summary: 'rolled back',
    });
    expect((await x.rollback()).rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    expect(x.target.state).toEqual({ stable: { version: 'v1' } });
  });
});
