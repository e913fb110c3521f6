import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';

// A withdrawal the platform refused (a PR closed unmerged, an abort, a rollback by command) ended
// the release, yet its stored history kept the last phase open: the report's phase table said
// "running" for a release that had ended, its "lasted" growing with each report, and still so once
// a later run withdrew the candidate. A failed gate's refused rollback closed its phase as failed.

const tick = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
const abort = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };

/** PR #7 moving fraud to v2, analysing step 1 at 10% for a minute, then every traffic change refused. */
async function refusingWorld() {
  const w = await fraudPr({ to: 'v2' });
  await handlePullRequest(w.config, w.event(), w.ports, tick);
  expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  w.clock.advance(60_000);
  w.target.failFromWrite = w.target.writes.length;
  /** The phase table's row of step 1, as a report an hour after the refusal shows it. */
  const row = (release: Release) =>
    renderMarkdown(w.config, { releases: [release], skipped: [] }, { now: w.clock.now() + 3_600_000 })
      .split('\n')
      .find((line) => line.startsWith('| step 1 of 2 |'));
  return { ...w, row };
}

describe("the phase table of a release whose candidate's withdrawal the platform refused", () => {
  it.each([
    [
      'a PR closed without merging',
      async (w: Awaited<ReturnType<typeof refusingWorld>>) => {
        await handlePullRequest(w.config, w.event('closed'), w.ports, tick);
      },
    ],
    [
      'an abort',
      async (w: Awaited<ReturnType<typeof refusingWorld>>) => {
        await expect(handleCommand(w.config, 'abort', abort, w.ports)).rejects.toThrow(
          'platform unavailable',
        );
      },
    ],
    [
      'a rollback to v3 by command',
      async (w: Awaited<ReturnType<typeof refusingWorld>>) => {
        const rollback = { ...abort, toVersion: 'v3' };
        await expect(handleCommand(w.config, 'rollback', rollback, w.ports)).rejects.toThrow(
          'platform unavailable',
        );
      },
    ],
  ])(
    '%s: its last phase ended when the release did, its withdrawal refused; withdrawn once a later run takes it out',
    async (_, end) => {
      const w = await refusingWorld();
      await end(w);
      const refused = (await w.ledger.release('fraud')) as Release;
      expect(refused).toMatchObject({ status: 'aborted', withdrawPending: true });
      expect(w.row(refused)).toMatch(/^\| step 1 of 2 \| 10% \| .* \| 1m 00s \| withdrawal refused \|$/);

      w.target.failFromWrite = Number.POSITIVE_INFINITY;
      await handleSchedule(w.config, w.ports, tick);
      expect(w.target.state).toEqual({ stable: { version: 'v1' } });
      const withdrawn = (await w.ledger.release('fraud')) as Release;
      expect(withdrawn.withdrawPending).toBeUndefined();
      expect(w.row(withdrawn)).toMatch(/ \| 1m 00s \| withdrawn \|$/);
    },
  );

  it('a record an older model-gate stored, its last phase left open: not "running" either', async () => {
    const w = await refusingWorld();
    await handlePullRequest(w.config, w.event('closed'), w.ports, tick);
    const refused = (await w.ledger.release('fraud')) as Release;
    const step = refused.phases.at(-1) as Release['phases'][number];
    // Stored and read back as the next run reads it: the phase has no end, no outcome.
    await w.ledger.saveRelease({
      ...refused,
      phases: [{ name: step.name, weight: step.weight, startedAt: step.startedAt }],
    });
    const older = (await w.ledger.release('fraud')) as Release;
    expect(older.phases.at(-1)?.endedAt).toBeUndefined();
    expect(w.row(older)).toMatch(/ \| withdrawal refused \|$/);
    // Withdrawn on a later try by that older model-gate, the phase still open: it ended with the release.
    const { withdrawPending: _, ...withdrawn } = older;
    expect(w.row(withdrawn)).toMatch(/ \| aborted \|$/);
  });

  it("a failed gate's refused rollback: its phase was closed as failed already", async () => {
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
    w.target.failFromWrite = 1;
    const failed = await handlePullRequest(w.config, w.event(), w.ports, {
      ...tick,
      mode: 'watch',
      maxWaitMs: 3_600_000,
    });
    expect(failed.releases).toMatchObject([{ status: 'failed', withdrawPending: true }]);
    const report = renderMarkdown(w.config, failed, { now: w.clock.now() });
    expect(report).toMatch(/^\| step 1 of 2 \| 10% \| .* \| failed: errors: /m);
    expect(report).not.toContain('running');
  });
});
