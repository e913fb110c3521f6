import { describe, expect, it } from 'vitest';
import { newRelease } from '../../src/release/new-release.js';
import { escapeMarkdown, renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';

const config = { version: 1 as const, allowForks: false, models: { fraud: canaryModel() } };

describe('the markdown report', () => {
  it('puts the decision first, in one sentence per model', () => {
    const release = {
      ...newRelease(canaryModel(), { from: 'v1', to: 'v3', now: 0 }),
      status: 'failed' as const,
      phase: 0,
    };
    const text = renderMarkdown(
      config,
      { releases: [{ ...release, reason: 'errors: 12.00% is above the max 2.00%' }], skipped: [] },
      { now: 0 },
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('## model-gate: ❌ Rolled back');
    expect(lines[2]).toBe('- fraud v3 was rolled back to v1: errors: 12.00% is above the max 2.00%');
  });

  it('heads a candidate an offline gate kept from deploying as failed, not rolled back', () => {
    const model = canaryModel({
      gates: [{ kind: 'offline', name: 'auc', file: 'eval.json', key: 'auc', min: 0.91 }],
    });
    const auc = {
      name: 'auc',
      kind: 'offline' as const,
      verdict: 'fail' as const,
      failures: 1,
      inconclusives: 0,
      consecutiveErrors: 0,
      reason: 'auc: 0.8800 is below the min 0.9100',
    };
    const release = newRelease(model, { from: 'v1', to: 'v3', now: 0, offline: [auc] });
    const lines = renderMarkdown(
      { ...config, models: { fraud: model } },
      { releases: [release], skipped: [] },
      { now: 0 },
    ).split('\n');
    expect(lines[0]).toBe('## model-gate: ❌ Failed');
    expect(lines[2]).toBe('- fraud v3 was not deployed: auc: 0.8800 is below the min 0.9100');
  });

  it('heads the comment of a PR whose promoted version a command rolled back as rolled back', () => {
    const promoted = {
      ...newRelease(canaryModel(), { from: 'v1', to: 'v2', pr: 2, now: 0 }),
      status: 'promoted' as const,
    };
    const rollback = {
      model: 'fraud',
      kind: 'rollback' as const,
      version: 'v1',
      previous: 'v2',
      at: 0,
      summary: 'rolled back by workflow_dispatch',
    };
    const text = renderMarkdown(
      config,
      { releases: [promoted], skipped: [], rollbacks: [rollback] },
      { now: 0, prComment: true },
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('## model-gate: ↩️ Rolled back by command');
    // The rollback first; the promotion it undid does not read as the news.
    expect(lines.slice(2, 4)).toEqual([
      '- fraud now serves v1 (was v2): rolled back by workflow\\_dispatch',
      '- fraud v2 was promoted (replacing v1), since rolled back to v1',
    ]);
    expect(lines).toContain('### fraud: v1 → v2 (promoted, since rolled back to v1)');
    const terminal = renderTerminal(config, { releases: [promoted], skipped: [], rollbacks: [rollback] }, 0);
    expect(terminal.split('\n').slice(1, 3)).toEqual([
      '  fraud now serves v1 (was v2): rolled back by workflow_dispatch',
      '  fraud v2 was promoted (replacing v1), since rolled back to v1',
    ]);
    expect(terminal).toContain('fraud: v1 -> v2 (promoted, since rolled back to v1)');
  });

  it("shows a gate's query URL without its credentials or query string, which may hold a secret", () => {
    const secret = 'METRICSKEY_s3cr3t';
    const model = canaryModel({
      gates: [
        {
          kind: 'threshold',
          name: 'errors',
          query: `https://ci:${secret}@metrics.example/q?slot={{slot}}&api_key=${secret}#data.err`,
          max: 0.02,
          failureLimit: 0,
          consecutiveErrorLimit: 4,
        },
      ],
    });
    const release = newRelease(model, { from: 'v1', to: 'v2', now: 0 });
    const text = renderMarkdown(
      { ...config, models: { fraud: model } },
      { releases: [release], skipped: [] },
      { now: 0 },
    );
    expect(text).toContain('errors (https://metrics.example/q?…#data.err)');
    expect(text).not.toContain(secret);
  });

  it("keeps a passed gate's row free of a note that no longer applies or only repeats the bound", () => {
    const model = canaryModel({
      gates: [
        { kind: 'offline', name: 'auc', file: 'eval.json', key: 'auc', min: 0.91 },
        thresholdGate({ name: 'errors', query: 'error-rate', max: 0.02 }),
      ],
    });
    const gate = { failures: 0, inconclusives: 0, consecutiveErrors: 0, verdict: 'pass' as const };
    const release = {
      ...newRelease(model, { from: 'v1', to: 'v2', now: 0 }),
      status: 'ready' as const,
      gates: [
        {
          ...gate,
          name: 'auc',
          kind: 'offline' as const,
          last: { at: 0, verdict: 'pass' as const, canary: 0.93, note: '≥ 0.9100' },
        },
        {
          ...gate,
          name: 'errors',
          kind: 'threshold' as const,
          last: {
            at: 0,
            verdict: 'waiting' as const,
            canaryRequests: 12,
            note: '12 of 500 candidate requests',
          },
        },
      ],
    };
    const lines = renderMarkdown(
      { ...config, models: { fraud: model } },
      { releases: [release], skipped: [] },
      { now: 0 },
    ).split('\n');
    expect(lines).toContain('| auc (offline) | 0.9300 | – | ≥ 0.9100 | ✅ pass |');
    expect(lines).toContain('| errors (error-rate) | – | – | ≤ 2.00% | ✅ pass |');
  });

  it('neutralises markdown, HTML, links and mentions in text from outside', () => {
    const hostile =
      '<img src=x onerror=alert(1)> @org/team [click](https://evil) | `rm` **b** ~~s~~ $x$ &#64;o\nnext';
    const safe = escapeMarkdown(hostile);
    expect(safe).not.toMatch(/(^|[^\\])[<>|`[\]*~$&]/);
    expect(safe).not.toContain('@org');
    expect(safe).not.toContain('\n');
  });

  it('shows a PromQL label with two =~ matchers as typed, not struck through', () => {
    // Short enough for the gate column to show whole (gate-label.ts clips a longer one).
    const query = 'errors{job=~"fraud.*",env=~"prod.*"}';
    const model = canaryModel({ gates: [thresholdGate({ name: 'errors', query, max: 0.02 })] });
    const release = newRelease(model, { from: 'v1', to: 'v2', now: 0 });
    const text = renderMarkdown(
      { ...config, models: { fraud: model } },
      { releases: [release], skipped: [] },
      { now: 0 },
    );
    const row = text.split('\n').find((l) => l.startsWith('| errors ('));
    // GFM strikes through text between two `~`: each must be escaped.
    expect(row?.match(/=\\~/g)).toHaveLength(2);
    expect(row).not.toMatch(/(^|[^\\])~/);
  });
});
