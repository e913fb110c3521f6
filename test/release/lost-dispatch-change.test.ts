import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';

// A dispatch abort records its end (withdrawal pending, naming what serves) before its one traffic
// change; its runner is lost before the change. The next schedule tick retries the withdrawal and
// the platform refuses it: the report must stop saying the change is under way and say the
// candidate may still get live traffic.

describe('a dispatch whose run was lost between its record and its traffic change', () => {
  it('after a refused retry, says the candidate may still get live traffic, not that the change is under way', async () => {
    const pr = await fraudPr({ to: 'v2' });
    const { config, ledger, target, ports } = pr;
    const opts = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
    const started = await handlePullRequest(config, pr.event(), ports, opts);
    const [release] = started.releases;
    expect(release).toMatchObject({ status: 'analysing' });
    expect(target.state.canary).toMatchObject({ version: 'v2' });
    if (!release) return;
    // What endThenWithdraw records first; the run that wrote it is gone.
    await ledger.saveRelease({
      ...release,
      status: 'aborted',
      reason: 'v2 aborted by workflow_dispatch',
      withdrawPending: true,
      ending: { serves: 'v1' },
    });
    const inFlight = await ledger.canaryHolder('fraud');
    expect(inFlight && renderMarkdown(config, { releases: [inFlight], skipped: [] }, { now: 0 })).toContain(
      '⏳',
    );

    target.failFromWrite = 0;
    const tick = await handleSchedule(config, ports, opts);
    expect(tick.releases[0]).toMatchObject({ to: 'v2', withdrawPending: true });
    const report = renderMarkdown(config, tick, { now: 0 });
    expect(report).toContain(
      '## model-gate: ⚠️ Withdrawal incomplete: a candidate may still get live traffic',
    );
    expect(report).toContain('platform unavailable');
    expect(report).not.toContain('⏳');
    expect(target.state.canary).toMatchObject({ version: 'v2' });

    // The platform answers again: the next tick withdraws v2, and v1 serves alone.
    target.failFromWrite = Number.POSITIVE_INFINITY;
    await handleSchedule(config, ports, opts);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
  });
});
