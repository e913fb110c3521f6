import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { newRelease } from '../../src/release/new-release.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { withLook } from '../../src/release/series.js';
import type { GateState, Release } from '../../src/release/types.js';
import { keyMetricChart } from '../../src/report/chart.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';

// A shadow or A/B phase of weeks read `1488h 00m` and `336h 00m` in the phase history, beside
// durations written `61d30m` and `14d`, and the chart's axis `1488:00:00` under "h:mm:ss". Past a
// day they read in days now; anything shorter as before.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const tick = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };

describe('how long a phase of days lasted', () => {
  it('reads in days and hours past a day in the phase history, as before under a day', async () => {
    const w = await fraudPr({ to: 'v2' });
    await handlePullRequest(w.config, w.event(), w.ports, tick);
    const release = (await w.ledger.release('fraud')) as Release;
    /** The lasted cell of the running step 1, as a report `after` ms into it shows it. */
    const lasted = (after: number) => {
      const now = (release.phases.at(-1) as Release['phases'][number]).startedAt + after;
      const line = renderMarkdown(w.config, { releases: [release], skipped: [] }, { now })
        .split('\n')
        .find((l) => l.startsWith('| step 1 of 2 |'));
      return line?.split(' | ')[3];
    };
    expect(lasted(14 * DAY)).toBe('14d 00h');
    expect(lasted(61 * DAY + 30 * 60_000)).toBe('61d 00h');
    expect(lasted(DAY + 5 * HOUR + 59 * 60_000)).toBe('1d 05h');
    expect(lasted(23 * HOUR + 59 * 60_000)).toBe('23h 59m');
    expect(lasted(70 * 60_000)).toBe('1h 10m');
    expect(lasted(65_000)).toBe('1m 05s');
  });
});

describe('the key metric chart of a release of days', () => {
  const model = parseConfig(
    `version: 1
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:9" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    {},
  ).config.models.fraud;
  if (!model) throw new Error('no model fraud');
  const axis = (looksAt: number[]) => {
    const release = newRelease(model, { from: 'v1', to: 'v2', now: 0 });
    let gate = release.gates[0] as GateState;
    for (const ms of looksAt)
      gate = withLook(gate, { at: ms, verdict: 'waiting', canary: 0.01, baseline: 0.005 }, 0);
    return keyMetricChart({ ...release, gates: [gate] }, model).find((l) => l.startsWith('  x-axis'));
  };

  it('labels looks past a day with days, each its own label', () => {
    expect(axis([HOUR, DAY + 2 * HOUR + 3 * 60_000 + 4_000, 62 * DAY])).toBe(
      '  x-axis "time since the release started (days, h:mm:ss)" ["0d 1:00:00", "1d 2:03:04", "62d 0:00:00"]',
    );
  });

  it('keeps h:mm:ss for a release under a day', () => {
    expect(axis([HOUR, 23 * HOUR + 59 * 60_000 + 59_000])).toBe(
      '  x-axis "time since the release started (h:mm:ss)" ["1:00:00", "23:59:59"]',
    );
  });
});
