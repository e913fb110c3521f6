import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { releaseSentence } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { fraudPr } from '../support/fraud-pr.js';
import { MemoryTarget } from '../support/memory-target.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, report } from './release-world.js';

// The platform took a rollback (or withdrawal), but no read answered within the settle-timeout
// (withdrawFailed.unconfirmed). The heading said "Rollback unconfirmed", yet a failed gate's line
// said the candidate "could not be rolled back to v1", a shadow candidate's "withdrawing it failed",
// and an abort's phase row "withdrawal refused": all three a refusal that never happened.

/** A platform that takes every change, whose reads time out once the candidate's traffic is taken away. */
class ReadsLostAfterWithdrawal extends MemoryTarget {
  private lost = false;
  override async read(): Promise<TrafficState> {
    if (this.lost) throw new TargetError('memory target: GET /traffic timed out upstream');
    return super.read();
  }
  override async write(desired: TrafficState): Promise<void> {
    await super.write(desired);
    // The stable version alone: the withdrawal.
    if (Object.keys(desired).length === 1) this.lost = true;
  }
}

const NOTE =
  'memory target accepted the change to v1 100% but never confirmed it: reading it back kept failing until its settle-timeout (10s) ran out, 10s after the change was sent (a read every 1s); the last read failed with: memory target: GET /traffic timed out upstream';

describe('a rollback the platform accepted that no read confirmed', () => {
  it("a failed gate's: probably rolled back, check the platform; the comment, the terminal and the job's failure say it alike", async () => {
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2 });
    const target = new ReadsLostAfterWithdrawal({ stable: { version: 'v1' } });
    const run = await handlePullRequest(
      w.config,
      w.event(),
      { ...w.ports, targetFor: () => target },
      { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false },
    );
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    const [release] = run.releases as [Release];
    expect(release.ending?.withdrawFailed?.unconfirmed).toBe(true);

    const sentence = `fraud v2 is probably rolled back to v1: the platform accepted its rollback (rolling back because errors: 20.00% is above the max 2.00%), but no read has confirmed it yet (${NOTE}); v2 may still get live traffic: check what the platform serves, and a re-run of this job or the next schedule tick tries again`;
    expect(renderMarkdown(w.config, run, { now: w.clock.now() }).split('\n').slice(0, 3)).toEqual([
      '## model-gate: ⚠️ Rollback unconfirmed: a candidate may still get live traffic',
      '',
      `- ${sentence}`,
    ]);
    expect(renderTerminal(w.config, run, w.clock.now()).split('\n').slice(0, 2)).toEqual([
      'model-gate: ⚠️ Rollback unconfirmed: a candidate may still get live traffic',
      `  ${sentence}`,
    ]);
    // The Action's failure message is made of this sentence (main.ts).
    expect(releaseSentence(release)).toBe(sentence);
  });

  it("a shadow candidate's withdrawal: accepted, unconfirmed, not failed", async () => {
    const config = configWith(
      '{ type: shadow, share: 50, duration: 1m, step-duration: 2m, min-requests: 100, interval: 10s }',
      ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    );
    const metrics = new ScriptedMetrics({
      stable: { rps: 40, values: { 'error-rate': 0.004 } },
      canary: { rps: 40, values: { 'error-rate': 0.12 } },
    });
    const target = new ReadsLostAfterWithdrawal({ stable: { version: 'v1' } });
    const r = await released(config, metrics, { target });
    expect(r.ending?.withdrawFailed?.unconfirmed).toBe(true);
    expect(report(config, r).split('\n').slice(0, 3)).toEqual([
      '## model-gate: ⚠️ Withdrawal unconfirmed: a candidate may still get live traffic',
      '',
      `- fraud v2 failed in shadow 50% of requests: errors: 12.00% is above the max 2.00%; it never served callers. v2 may still get live traffic: the platform accepted its withdrawal, but no read has confirmed it yet (${NOTE}); check what the platform serves, and a re-run of this job or the next schedule tick tries again`,
    ]);
  });

  it("an abort's: its last phase reads withdrawal unconfirmed, not refused", async () => {
    const w = await fraudPr({ to: 'v2' });
    const target = new ReadsLostAfterWithdrawal({ stable: { version: 'v1' } });
    const ports = { ...w.ports, targetFor: () => target };
    await handlePullRequest(w.config, w.event(), ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
    w.clock.advance(60_000);
    const abort = { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch' };
    await expect(handleCommand(w.config, 'abort', abort, ports)).rejects.toThrow('never confirmed it');
    const aborted = (await w.ledger.release('fraud')) as Release;
    const text = renderMarkdown(w.config, { releases: [aborted], skipped: [] }, { now: w.clock.now() });
    expect(text).toContain(
      `- fraud v2 is probably withdrawn: the platform accepted its withdrawal (withdrawing because aborted by workflow\\_dispatch), but no read has confirmed it yet (${NOTE}); v2 may still get live traffic: check what the platform serves, and a re-run of this job or the next schedule tick tries again`,
    );
    expect(text).toMatch(/^\| step 1 of 2 \| 10% \| .* \| 1m 10s \| withdrawal unconfirmed \|$/m);
  });
});
