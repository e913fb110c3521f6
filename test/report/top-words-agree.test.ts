import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { gitHubClient } from '../../src/github/client.js';
import { setReleaseStatus } from '../../src/github/commit-status.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { configWith, released, report } from './release-world.js';

// A reviewer read the comments as a first-time reader and as on-call at 3 a.m.: the heading said
// `❌ Rolled back`, the model's heading `(failed)`, the commit status neither (`v2: errors: …`);
// two models' heading said nothing of the one that passed, whose line came first; a rollback for
// too little data read as a plain rollback, with no next step; and a status over GitHub's 140
// characters was cut mid-word. Releases driven by the engine, statuses written to the
// OpenAPI-checked GitHub stand-in.
const CANARY = '{ type: canary, steps: [5, 25, 50], step-duration: 2m, min-requests: 200, interval: 10s }';
const config = configWith(CANARY, [
  '{ name: errors, kind: threshold, query: error-rate, max: 0.02 }',
  '{ name: p95, kind: threshold, query: latency-p95, max: 100 }',
]);

const metrics = (canary: { rps?: number; errors?: number; p95?: number } = {}) =>
  new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.01, 'latency-p95': 77 } },
    canary: {
      rps: canary.rps ?? 30,
      values: { 'error-rate': canary.errors ?? 0.01, 'latency-p95': canary.p95 ?? 77 },
    },
  });

const PR = 7;
const ofPr = async (m: ScriptedMetrics, cfg: Config = config) => ({ ...(await released(cfg, m)), pr: PR });

let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
beforeAll(async () => {
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** The commit status GitHub shows for the release. */
async function statusOf(r: Release): Promise<string> {
  const headSha = String(Math.random()).slice(2).padEnd(40, 'c').slice(0, 40);
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.05 });
  await setReleaseStatus(client, repo, { ...r, headSha });
  return github.commitStatuses(headSha).at(-1)?.description ?? '';
}

describe('two models, one rolled back and one ready', () => {
  it('heads the comment with both, the failed one first, and says what merging does', async () => {
    const fraud = await ofPr(metrics());
    const ranker = { ...(await ofPr(metrics({ errors: 0.05 }))), model: 'ranker' };
    expect([fraud.status, ranker.status]).toEqual(['ready', 'failed']);
    const model = config.models.fraud;
    if (!model) throw new Error('fraud');
    const both = { ...config, models: { fraud: model, ranker: { ...model, name: 'ranker' } } };
    const result = { releases: [fraud, ranker], skipped: [] };
    const text = renderMarkdown(both, result, { now: fraud.updatedAt, prComment: true });
    const lines = text.split('\n');
    expect(lines[0]).toBe('## model-gate: ❌ ranker rolled back; fraud ready to merge');
    expect(lines.slice(2, 5)).toEqual([
      expect.stringMatching(
        /^- ranker v2 was rolled back to v1 in step 1 of 3 \(5% of live traffic\): errors: 5\.00% is above the max 2\.00%/,
      ),
      '- fraud v2 passed every gate and is ready to merge',
      '- Merging promotes fraud only; ranker stays on v1',
    ]);
    expect(text.indexOf('### ranker: v1 → v2 (rolled back)')).toBeLessThan(
      text.indexOf('### fraud: v1 → v2 (ready)'),
    );
    const terminal = renderTerminal(both, result, fraud.updatedAt).split('\n');
    expect(terminal.slice(0, 4)).toEqual([
      'model-gate: ❌ ranker rolled back; fraud ready to merge',
      expect.stringMatching(/^ {2}ranker v2 was rolled back to v1 in step 1 of 3 \(5% of live traffic\): /),
      '  fraud v2 passed every gate and is ready to merge',
      '  Merging promotes fraud only; ranker stays on v1',
    ]);
  });
});

describe("the heading's word, in the model's heading and its commit status", () => {
  it('a failed gate: rolled back, what serves first, then the gate, fitted whole-word in 140 characters', async () => {
    const r = await ofPr(metrics({ p95: 115 }));
    const text = report(config, r);
    expect(text).toContain('## model-gate: ❌ Rolled back\n');
    expect(text).toContain('### fraud: v1 → v2 (rolled back)');
    const status = await statusOf(r);
    expect(status).toBe('v2 rolled back to v1: p95 failed (115.0 ms is above the max 100.0 ms)');
  });

  it('a long reason: cut at a word with its brackets closed, never by GitHub mid-word', async () => {
    const r = await ofPr(metrics({ p95: 115 }));
    const note =
      "p95 115 ms on v2 vs 77.4 ms on v1; slower than 76.9 ms: 26.7% of v2's requests vs 5.16% of v1's (×5.2, at least ×2.9; tolerated ×1.1); e-value >10¹² ≥ 40";
    const long = { ...r, reason: `p95: ${note}` };
    const status = await statusOf(long);
    expect(status.length).toBeLessThanOrEqual(140);
    expect(status).toMatch(
      /^v2 rolled back to v1: p95 failed \(115 ms on v2 vs 77\.4 ms on v1; slower than .*[^ ]…\)+$/,
    );
  });

  it('an outage of the metrics: rolled back, the analysis could not run, and what to do, in the status too', async () => {
    const m = metrics();
    // Down from the first look on: 5 query errors in a row end it (consecutive-error-limit).
    const r = await released(config, m, {
      each: () => {
        m.failing = true;
      },
    });
    expect(r.status).toBe('failed');
    const status = await statusOf({ ...r, pr: PR });
    expect(status).toMatch(
      /^v2 rolled back to v1: the analysis could not run \(.*metrics.*\); push a new commit once it is fixed$/,
    );
    expect(status.length).toBeLessThanOrEqual(140);
    expect(report(config, r)).toContain('### fraud: v1 → v2 (rolled back)');
  });

  it('superseded or closed: withdrawn, in the heading, the model heading and the status', async () => {
    const analysing = await released(config, metrics(), { stop: (x) => x.gates.some((g) => g.last) });
    const superseded: Release = {
      ...analysing,
      pr: PR,
      status: 'superseded',
      reason: 'the PR moved on to a new head (abc1234); v2 withdrawn',
    };
    const text = report(config, superseded);
    expect(text).toContain('## model-gate: ⏹️ Withdrawn\n');
    expect(text).toContain('### fraud: v1 → v2 (withdrawn)');
    const closed: Release = {
      ...superseded,
      status: 'aborted',
      reason: 'the PR was closed without merging; v2 withdrawn',
    };
    expect(await statusOf(closed)).toBe('v2 withdrawn, v1 serves: the PR was closed without merging');
  });
});

describe('a rollback for too little data', () => {
  it('says so plainly, with the numbers and the next step, in the heading, the line and the status', async () => {
    // 0.5 requests a second: 60 in the 2m step, of the 200 min-requests.
    const r = await ofPr(metrics({ rps: 0.5 }));
    expect(r.status).toBe('failed');
    const text = report(config, r);
    expect(text).toContain('## model-gate: ❌ Rolled back: not enough data to decide\n');
    expect(text).toContain(
      '- fraud v2 was rolled back to v1: not enough data: 60 of the 200 candidate requests needed in 2m at step 1 of 3; raise step-duration or lower min-requests, then push a new commit; if the PR was closed, reopen it first\n',
    );
    expect(await statusOf(r)).toBe(
      'v2 rolled back to v1: not enough data (60 of 200 candidate requests in 2m); raise step-duration or lower min-requests, push a new commit',
    );
  });
});
