import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { handleCommand } from '../../src/release/commands.js';
import { fraudPr } from '../support/fraud-pr.js';

// A rollback to a version that never served (to-version v4, a typo or a build never released,
// which the platform has) went ahead: all traffic to v4, "rollback v2 -> v4" on record, past every
// gate. With history on record it is now refused before the platform is asked anything.

/** fraud serving v2, promoted by PR #7 over v1 (`history`: else nothing on record). */
async function servingV2(history = true) {
  const w = await fraudPr();
  w.target.state = { stable: { version: 'v2' } };
  if (history)
    await w.ledger.record({
      model: 'fraud',
      kind: 'promotion',
      version: 'v2',
      previous: 'v1',
      pr: 7,
      at: 0,
      summary: 'passed',
    });
  const rollbackTo = (toVersion: string) =>
    handleCommand(
      w.config,
      'rollback',
      { model: 'fraud', toVersion, dryRun: false, trigger: 'workflow_dispatch' },
      w.ports,
    );
  return { ...w, rollbackTo };
}

describe('a rollback to a version that never served', () => {
  it('is refused before any target call, naming the versions that served and how to serve a new one', async () => {
    const w = await servingV2();
    const read = w.target.read.bind(w.target);
    let reads = 0;
    w.target.read = () => {
      reads++;
      return read();
    };
    const refused = w.rollbackTo('v4');
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(
      'rollback fraud: to-version v4 never served fraud as far as the ledger knows; a rollback goes back to a version that served (newest first: v2, v1): set to-version to one of them. To serve v4, open a PR that declares it, which releases it through the gates',
    );
    expect(reads).toBe(0);
    expect(w.target.writes).toEqual([]);
    expect(await w.ledger.history('fraud')).toHaveLength(1);
  });

  it('the version serving when model-gate first recorded served: a rollback to it goes ahead', async () => {
    const w = await servingV2();
    const result = await w.rollbackTo('v1');
    expect(result.rollbacks).toMatchObject([{ previous: 'v2', version: 'v1' }]);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('with nothing on record the ledger cannot tell: it goes ahead', async () => {
    const w = await servingV2(false);
    const result = await w.rollbackTo('v4');
    expect(result.rollbacks).toMatchObject([{ previous: 'v2', version: 'v4' }]);
    expect(w.target.state).toEqual({ stable: { version: 'v4' } });
  });
});
