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
// candidate v2 is on a 10% canary, and no job drives the release any more. Its canary claim (a
// Deployment in progress) still names PR #7 and v2; the schedule ticks that follow must not call the
// model idle while v2 serves unwatched. A job that still runs: deleted-comment-job-writes-again.
describe('the PR comment deleted while its candidate is on a canary, its job gone', () => {
  const w = deletedCommentWorld();

  it('warns at once naming the claim and the PR, marks the claim, and withdraws the candidate and records its end once the record has been missing long enough', async () => {
    await w.openThenDelete();
    const { id } = w.claim();

    // The next tick: its job may still be writing the record, so nothing is withdrawn yet, but the
    // log says what holds the slot and when it goes, the claim is marked, and the slot stays held.
    const soon = await w.tick();
    expect(soon.error).toBeUndefined();
    expect(warnings(soon.log)).toEqual([
      expect.stringMatching(
        missingNote(
          id,
          '.*v2 may get live traffic that nothing watches; the slot stays held, and the first schedule tick from \\S+ \\(in 30 min\\) withdraws v2 if the record is still missing',
        ),
      ),
    ]);
    expect(await w.served()).toEqual(live);
    expect(w.claim()).toEqual({ id, state: 'in_progress', says: expect.stringMatching(MARK) });

    // Half an hour after the claim and its mark: the record is lost. The tick withdraws v2 and says
    // so in PR #7's comment, made again, and the claim ends.
    const later = await w.tick(31 * MIN);
    expect(later.error).toBeUndefined();
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
    expect(warnings(later.log)).toEqual([
      expect.stringMatching(
        missingNote(
          id,
          '.* since \\S+: v2 may still get live traffic that nothing watches, so the release is rebuilt from the claim and ended: a schedule tick withdraws v2',
        ),
      ),
    ]);
    expect(later.log).not.toMatch(/Nothing to release/);
    expect(JSON.parse(later.outputs.models ?? '[]')).toEqual([
      expect.objectContaining({ model: 'fraud-detector', to: 'v2', status: 'aborted' }),
    ]);
    const [comment, ...more] = w.world.github.comments(7);
    expect(more).toEqual([]);
    expect(comment?.body).toMatch(
      /fraud-detector v2 was withdrawn: the PR comment lost its record \(deleted, or edited by hand\) while its canary claim \(Deployment \d+\) was in progress: nothing watched v2 since.*; v1 serves/,
    );
    expect(w.claim().state).toBe('inactive');

    // The slot is free again, and the next tick has nothing to say of it.
    const after = await w.tick(32 * MIN);
    expect(warnings(after.log)).toEqual([]);
    expect(await w.served()).toEqual({ stable: { version: 'v1' } });
  }, 120_000);
});
