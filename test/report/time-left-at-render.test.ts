import { describe, expect, it } from 'vitest';
import { releasesSchema } from '../../src/ledger/release-schema.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, row } from './release-world.js';

// A comment is re-rendered long after the tick that wrote the release's record: a sibling matrix
// job's, a re-run's, a status run's. Its top line must be true at its own time, as the phase
// history beside it is: not "2m50s left" of a hold that ended an hour before.
const HOUR = 3_600_000;
const config = configWith(
  '{ type: shadow, share: 50, duration: 5m, step-duration: 2m, min-requests: 100, interval: 10s }',
  ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
);
const healthy = () =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 90, values: { 'error-rate': 0.005 } },
  });

/** The shadow at its first tick that waits for the hold's end alone, its gates passed. */
const waitingForHold = () =>
  released(config, healthy(), {
    stop: (r) => r.reason?.includes('waiting for the end of the hold') === true,
  });

const comment = (r: Release, now: number) => renderMarkdown(config, { releases: [r], skipped: [] }, { now });
const topLine = (text: string) => text.split('\n').find((l) => l.startsWith('- fraud v2: '));
const NEXT = "the next schedule tick (command: tick), or a re-run of the PR's job, continues the analysis";

describe('a shadow waiting for its hold, reported an hour after its last tick', () => {
  it('says the hold ended, as its phase history says the phase has run an hour', async () => {
    const r = await waitingForHold();
    expect(r.status).toBe('analysing');
    const end = r.phaseStartedAt + 5 * 60_000;
    const endsAt = new Date(end).toISOString().replace('T', ' ').slice(0, 16);

    // At its tick: the time left then.
    const atTick = comment(r, r.updatedAt);
    const left = end - r.updatedAt;
    expect(left).toBeGreaterThan(0);
    expect(topLine(atTick)).toMatch(
      /^- fraud v2: analysing shadow 50% of requests: waiting for the end of the hold \((\d+m)?\d+s left\); /,
    );

    // An hour on: no minutes left of a hold long over, and the phase history agrees.
    const later = comment(r, r.updatedAt + HOUR);
    expect(later).not.toMatch(/ left\)/);
    expect(topLine(later)).toBe(
      `- fraud v2: analysing shadow 50% of requests: the hold ended at ${endsAt} UTC, its gates passed at the last look; ${NEXT}`,
    );
    expect(row(later, 'shadow 50% of requests')).toMatch(/\| 1h 0\dm \| running \|$/);

    // The terminal's words (command status, the step log with a report time) are the same.
    const terminal = renderTerminal(config, { releases: [r], skipped: [] }, r.updatedAt + HOUR);
    expect(terminal).toContain(`analysing shadow 50% of requests: the hold ended at ${endsAt} UTC`);
    expect(terminal).not.toMatch(/ left\)/);
  });

  it('says the time left at the report time while the hold runs, after the record is stored and read again', async () => {
    const r = await waitingForHold();
    const stored = releasesSchema.parse({ fraud: r }).fraud;
    expect(stored?.holdEndsAt).toBe(r.phaseStartedAt + 5 * 60_000);
    if (!stored) throw new Error('no release read back');
    const oneMinuteBeforeEnd = r.phaseStartedAt + 4 * 60_000;
    expect(topLine(comment(stored, oneMinuteBeforeEnd))).toContain(
      'waiting for the end of the hold (1m left)',
    );
  });

  it('names the hold end of a gate the metric source left unanswered mid-hold as a time, not a time left', async () => {
    const metrics = healthy();
    const r = await released(config, metrics, {
      each: (seen) => {
        // The source goes down once the gates have passed, a minute or so into the 5m hold.
        if (seen.reason?.includes('waiting for the end of the hold')) metrics.failing = true;
      },
      stop: (seen) => seen.reason?.includes('no answer from the metric source') === true,
    });
    const endsAt = new Date(r.phaseStartedAt + 5 * 60_000).toISOString().replace('T', ' ').slice(0, 16);
    expect(r.reason).toContain(`holds until ${endsAt} UTC (5m)`);
    const later = comment(r, r.updatedAt + HOUR);
    expect(topLine(later)).toContain(
      'errors (no answer from the metric source: metrics backend unreachable;',
    );
    expect(later).not.toMatch(/of the hold left/);
  });
});
