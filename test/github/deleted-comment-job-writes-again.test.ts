import { describe, expect, it } from 'vitest';
import {
  deletedCommentWorld,
  live,
  MARK,
  MIN,
  missingNote,
  warnings,
} from '../support/deleted-comment-world.js';

// The ledger kept in the PR comment (ledger: github): a user deletes that comment while PR #7's
// candidate v2 is on a 10% canary, its release still driven by a job (a watch-mode job writes its
// comment again, made anew, at its next publish, within 5 minutes). The schedule ticks must not take
// the record for lost and withdraw v2 before it comes back. (A file of its own: deletedCommentWorld.)
describe('the PR comment deleted while a job still drives the release (a watch-mode job writes it again)', () => {
  const w = deletedCommentWorld();

  it('keeps v2 and its traffic when the record comes back before it has been missing 15 minutes, though the claim is older than 30', async () => {
    const [body] = await w.openThenDelete();
    const { id } = w.claim();

    // The first tick to see the record missing comes when the claim is 40 minutes old (a watch-mode
    // job's claim usually is): it warns and marks the claim, and withdraws nothing yet.
    const first = await w.tick(40 * MIN);
    expect(first.error).toBeUndefined();
    expect(warnings(first.log)).toEqual([
      expect.stringMatching(missingNote(id, '.*the slot stays held, and .* \\(in 15 min\\) withdraws v2')),
    ]);
    expect(await w.served()).toEqual(live);
    expect(w.claim()).toEqual({ id, state: 'in_progress', says: expect.stringMatching(MARK) });

    // Ten minutes on, still missing: still within the margin.
    const still = await w.tick(50 * MIN);
    expect(warnings(still.log)).toEqual([expect.stringMatching(/\(in 5 min\) withdraws v2/)]);
    expect(await w.served()).toEqual(live);

    // The job publishes again, its comment made anew: the next tick finds the record, withdraws
    // nothing, and takes the mark off the claim (a later loss of the record is dated from then).
    expect(body).toBeDefined();
    await w.writeAgain(body ?? '');
    const back = await w.tick(56 * MIN);
    expect(back.error).toBeUndefined();
    expect(warnings(back.log).filter((l) => /records no release/.test(l))).toEqual([]);
    expect(await w.served()).toEqual(
      expect.objectContaining({ canary: expect.objectContaining({ version: 'v2' }) }),
    );
    expect(JSON.parse(back.outputs.models ?? '[]')).not.toContainEqual(
      expect.objectContaining({ status: 'aborted' }),
    );
    expect(w.claim()).toEqual({ id, state: 'in_progress', says: expect.not.stringMatching(MARK) });
  }, 120_000);
});
