import { describe, expect, it } from 'vitest';
import { newRelease } from '../../src/release/new-release.js';
import type { RunResult } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { escapeMarkdown, renderShortMarkdown } from '../../src/report/markdown.js';
import { canaryModel } from '../support/model-config.js';

// The merge of a PR over 60 models, each with a config change and a gate the merge config added
// that its analysis did not judge: the short comment cuts whole models, never a model's notes
// while its verdict stays, and counts the models it cut. A drift noted on the PR is a model's
// note too; a line about no one model stays.
const RUN = 'https://github.com/Codertocat/Hello-World/actions/runs/7';
const names = Array.from({ length: 60 }, (_, i) => `model-${String(i).padStart(2, '0')}`);
const CHANGES =
  'this PR changes its release config: strategy.steps [10, 50] → [5, 25, 50]; gates.errors.max 0.02 → 0.03';
const unjudged = (n: string) =>
  `${n}: the merge config has gate "latency" (not configured then) that the analysis of v1.5.0 did not judge: the merge promotes it on the gates it passed`;
const DRIFT = 'model-00: v1.4.0 drifted (PSI 0.31 over 0.2) since its promotion';
const GLOBAL = 'the ledger comment was edited by hand: kept as written';

function promoted(name: string): Release {
  const base = newRelease(canaryModel({ name }), { from: 'v1.4.0', to: 'v1.5.0', pr: 12, now: 0 });
  return { ...base, status: 'promoted', mergedAt: 1, updatedAt: 2, configChanges: { note: CHANGES } };
}

const result: RunResult = {
  releases: names.map(promoted),
  skipped: [
    ...names.map((n) => ({ model: n, why: unjudged(n).slice(n.length + 2), kind: 'note' as const })),
    { model: 'model-00', why: DRIFT.slice('model-00: '.length), kind: 'note' },
    { model: '*', why: GLOBAL, kind: 'note' },
  ],
};

const listed = (text: string) => text.split('\n').filter((l) => l.startsWith('- '));

describe('the short comment of a merge over many models with notes', () => {
  it('keeps each listed model with all its notes, and counts the models it cut', () => {
    const text = renderShortMarkdown(result, { runUrl: RUN, maxLength: 16_000 }) ?? '';
    expect(text.length).toBeLessThanOrEqual(16_000);
    const lines = listed(text);
    const shown = names.filter((n) =>
      lines.includes(`- promoted: ${n} v1.5.0 was promoted (replacing v1.4.0)`),
    );
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.length).toBeLessThan(60);
    // In config order, each model's verdict, its config change and its own notes together.
    expect(shown).toEqual(names.slice(0, shown.length));
    const expected = shown.flatMap((n) => [
      `- promoted: ${n} v1.5.0 was promoted (replacing v1.4.0)`,
      `- ${n}: ${escapeMarkdown(CHANGES)}`,
      `- ${unjudged(n)}`,
      ...(n === 'model-00' ? [`- ${DRIFT}`] : []),
    ]);
    const cut = 60 - shown.length;
    expect(lines).toEqual([...expected, `- … and ${cut} more`, `- ${GLOBAL}`]);
    expect(text).toContain(
      `\nThe ${cut} models not listed, gate tables, charts and phase history are left out to fit a GitHub comment: see the job summaries of [the workflow run](${RUN}).\n`,
    );
  });

  it('says the line about no one model was cut too when not even one model fits', () => {
    const text = renderShortMarkdown(result, { runUrl: RUN, maxLength: 300 }) ?? '';
    expect(text.length).toBeLessThanOrEqual(300);
    expect(listed(text)).toEqual(['- … and 61 more']);
    expect(text).toContain('\nThe 60 models and 1 note not listed, gate tables');
  });
});
