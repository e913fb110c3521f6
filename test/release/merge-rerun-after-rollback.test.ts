import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import { outputDecision } from '../../src/report/decision.js';
import { utcMinute } from '../../src/report/format.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { sha } from '../support/model-config.js';
import { MODEL, raceJobs, useRaceWorld } from '../support/race-world.js';

// PR's v2 passed, its merge job promoted it, then an operator rolled the model back to v1 by
// workflow_dispatch. "Re-run all jobs" on the merge workflow then reported `🚀 Promoted`, "v2 was
// promoted (replacing v1)" and "v2 was already promoted …; nothing left to do", with the `decision`
// output `promoted`, while v1 served; its write of the PR's comment dropped the rollback's line, so
// the comment flipped back to Promoted too. Now the re-run says v2 was rolled back since, and what
// serves, headed as the rollback headed the comment; it changes no traffic and records nothing.
// The platform is a real sandbox, the ledger a PR comment on a GitHub stand-in, time a fake clock.
const HOUR = 3_600_000;
const world = useRaceWorld({ firstPr: 1460, firstRunId: 14600, closePr: (closed) => prJob(closed, 'tick') });
const { prJob, rollbackTo } = raceJobs(world, () => config, false);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10]');
  world.useLedgerFile(false, 'model-gate-merge-rerun-rollback-');
});

const merged = (event: PullRequestEvent): PullRequestEvent => ({ ...event, action: 'closed', merged: true });

describe('a re-run of a merge job whose promotion a rollback by command undid', () => {
  it('says v2 was rolled back to v1 since, is not headed Promoted, and changes nothing', async () => {
    const event = world.pullRequest('v2', 2);
    expect((await prJob(event, 'watch')).releases[0]?.status).toBe('ready');
    expect((await prJob(merged(event), 'watch')).releases[0]?.status).toBe('promoted');
    const promotedAt = (await world.recorded())?.updatedAt ?? 0;

    world.clock.advance(HOUR);
    await rollbackTo('v1');
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    const history = await world.ledgerOf().history(MODEL);
    const rollback = history.at(-1);
    expect(rollback).toMatchObject({ kind: 'rollback', previous: 'v2', version: 'v1' });

    world.clock.advance(HOUR);
    const rerun = await prJob(merged(event), 'watch');
    const why = `v2 was promoted at ${utcMinute(promotedAt)} (passed 1 canary step on ${sha(2).slice(0, 7)}) and has since been rolled back to v1 at ${utcMinute(rollback?.at ?? 0)} (${rollback?.summary}); v1 serves, and this job changed nothing`;
    expect(rerun.skipped).toEqual([{ model: MODEL, why, kind: 'note' }]);
    expect(outputDecision(rerun)).toBe('rolled-back');
    const summary = renderMarkdown(config, rerun, { now: world.clock.now() });
    expect(summary).toMatch(/^## model-gate: ↩️ Rolled back by command$/m);
    expect(summary).not.toContain('Promoted');
    expect(summary).not.toContain('already promoted');

    // The PR's comment keeps v2's section, said rolled back since, under the rollback's heading.
    const comment = world.comment() ?? '';
    expect(comment).toContain('↩️ Rolled back by command');
    expect(comment).not.toContain('🚀 Promoted');
    expect(comment).toContain('promoted, since rolled back to v1');
    expect(comment).toContain(why.replaceAll('_', '\\_'));

    // Nothing changed: v1 serves, and the ledger records no new promotion or rollback.
    expect(await world.serving()).toEqual({ stable: { version: 'v1' } });
    expect(await world.ledgerOf().history(MODEL)).toEqual(history);
  });
});
