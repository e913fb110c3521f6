import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import type { RunResult } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { escapeMarkdown, renderMarkdown, renderShortMarkdown } from '../../src/report/markdown.js';
import { canaryModel } from '../support/model-config.js';

// The short comment (many models in one comment) says what the full report's top lines say, each
// fact once: a model rolled back by command, whose PR's comment carries the rollback's note, is not
// told by a rollback line, the note and its release's status all saying it again.
const NAMES = ['fraud', 'ranker', 'churn'];
const config: Config = {
  version: 1,
  allowForks: false,
  models: Object.fromEntries(NAMES.map((name) => [name, canaryModel({ name })])),
};
const T0 = Date.UTC(2026, 0, 1);

const release = (name: string, over: Partial<Release>): Release => ({
  ...newRelease(canaryModel({ name }), { from: 'v1', to: 'v2', pr: 12, now: T0 }),
  updatedAt: T0 + 60_000,
  ...over,
});

/** Rolled back in step 1 of 3 by its error gate, as a driver ends it. */
const gateFailed = (name: string): Release => {
  const base = release(name, {});
  return {
    ...base,
    status: 'failed',
    phase: 0,
    reason: 'errors: 12.00% is above the max 2.00%',
    phases: [{ name: 'step 1', weight: 10, startedAt: T0, endedAt: T0 + 60_000, outcome: 'failed' }],
    gates: base.gates.map((g) => ({ ...g, verdict: 'fail' as const, failures: 1 })),
  };
};

/** Rolled back in step 1 of 3 after 60 of its 100 min-requests: no verdict, too little data. */
const tooLittleData = (name: string): Release => {
  const base = release(name, {});
  return {
    ...base,
    status: 'failed',
    phase: 0,
    reason: 'errors: no decision by the deadline',
    phases: [{ name: 'step 1', weight: 10, startedAt: T0, endedAt: T0 + 60_000, outcome: 'failed' }],
    gates: base.gates.map((g) => ({
      ...g,
      last: { at: T0 + 60_000, verdict: 'waiting' as const, canaryRequests: 60, note: '60 of 100 requests' },
    })),
  };
};

/** A rollback by command of fraud v2 (PR #12's) to v1, as commands.ts records and words it. */
const BY = '@octocat via workflow_dispatch';
const rollback: LedgerEntry = {
  model: 'fraud',
  kind: 'rollback',
  version: 'v1',
  previous: 'v2',
  at: T0 + 3_600_000,
  summary: `rolled back by ${BY}`,
};

const bullets = (text: string) => text.split('\n').filter((l) => l.startsWith('- '));
const short = (result: RunResult) => bullets(renderShortMarkdown(result, { maxLength: 60_000 }) ?? '');
/** The full report's decision lines: the sentences the short lines must say, each once. */
const full = (result: RunResult) =>
  bullets(renderMarkdown(config, result, { now: T0 + 3_600_000 }).split('\n### ')[0] ?? '');
/** A short line without its status (`rolled back: `), as the full report's line is worded. */
const sentence = (line: string) => line.replace(/^- (promoted|ready|rolled back|withdrawn): /, '- ');

function expectEachOnce(result: RunResult) {
  const lines = short(result);
  expect(new Set(lines).size).toBe(lines.length);
  expect(lines.map(sentence).sort()).toEqual(full(result).sort());
}

describe('the short comment says each fact once', () => {
  it('says a rollback by command once on the PR it was noted on, beside promoted and failed models', () => {
    // PR #12's comment as the rollback run writes it (comment-publisher.ts body): the PR's
    // releases, the run's rollbacks, and the note the rollback left on the PR (main.ts notify).
    const result: RunResult = {
      releases: [
        release('fraud', { status: 'promoted', mergedAt: T0 + 30_000 }),
        release('ranker', { status: 'promoted', mergedAt: T0 + 30_000 }),
        gateFailed('churn'),
      ],
      skipped: [{ model: 'fraud', why: `v2 was rolled back to v1 by ${BY}`, kind: 'note' }],
      rollbacks: [rollback],
    };
    const lines = short(result);
    expect(lines).toEqual([
      '- promoted: fraud v2 was promoted (replacing v1), since rolled back to v1',
      `- fraud: v2 was rolled back to v1 by ${escapeMarkdown(BY)}`,
      '- rolled back: churn v2 was rolled back to v1 in step 1 (10% of live traffic): errors: 12.00% is above the max 2.00%',
      '- promoted: ranker v2 was promoted (replacing v1)',
    ]);
    // The rollback's own line ("fraud now serves v1 (was v2)") is the note's fact again.
    expect(lines.filter((l) => l.includes('now serves'))).toEqual([]);
    expect(lines.filter((l) => l.includes('since rolled back to v1'))).toHaveLength(1);
    expect(lines.join('\n').match(/since rolled back to v1/g)).toHaveLength(1);
    expectEachOnce(result);
  });

  it("still says a rollback by command on a comment without its note (the candidate's PR)", () => {
    const result: RunResult = {
      releases: [release('ranker', { status: 'ready' })],
      skipped: [],
      rollbacks: [rollback],
    };
    expect(short(result)[0]).toBe(`- fraud now serves v1 (was v2): rolled back by ${escapeMarkdown(BY)}`);
    expectEachOnce(result);
  });

  it('says a gate failure once beside models ready to merge', () => {
    const result: RunResult = {
      releases: [
        release('fraud', { status: 'ready' }),
        gateFailed('churn'),
        release('ranker', { status: 'ready' }),
      ],
      skipped: [],
    };
    const lines = short(result);
    expect(lines.filter((l) => l.includes('churn v2 was rolled back'))).toHaveLength(1);
    expect(lines[0]).toMatch(/^- rolled back: churn v2 was rolled back to v1 in step 1/);
    expectEachOnce(result);
  });

  it('says a withdrawal, a rollback for too little data, a promotion and a drift once each', () => {
    const result: RunResult = {
      releases: [
        release('fraud', { status: 'aborted', reason: `aborted by ${BY}; v2 withdrawn` }),
        tooLittleData('churn'),
        release('ranker', { status: 'promoted', mergedAt: T0 + 30_000 }),
      ],
      skipped: [],
      drift: [
        {
          model: 'ranker',
          version: 'v2',
          drifted: true,
          note: 'ranker v2 drifted (PSI 0.31 over 0.2) since its promotion',
        },
      ],
    };
    const lines = short(result);
    expect(lines.filter((l) => l.includes('not enough data'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('fraud v2 was withdrawn'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('ranker v2 was promoted'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('drifted'))).toHaveLength(1);
    expectEachOnce(result);
  });
});
