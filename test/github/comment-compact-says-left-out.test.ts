import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_LIMIT, COMMENT_MARKER } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import { withLook } from '../../src/release/series.js';
import type { GateState, Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel, sha, thresholdGate } from '../support/model-config.js';

// A matrix over many models on one PR: the full report (charts, phase history, how the gates
// judge) is over GitHub's 65,536 characters, so the comment shows the compact one (ten models
// here: nine fit whole, a dozen leave room for the short report alone). A reader must
// be told what is missing and where it is, as the short report and the job summary tell them.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const PR = 7;
const T0 = Date.UTC(2025, 0, 1);
const RUN = 'https://github.com/Codertocat/Hello-World/actions/runs/41';
const GATES = ['error-rate', 'p99-latency', 'accuracy'];

beforeEach(async () => {
  github = await startFakeGitHub(repo);
  github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: sha(1), files: [] });
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const modelConfig = (name: string): ModelConfig =>
  canaryModel({ name, gates: GATES.map((g) => thresholdGate({ name: g, query: g, max: 0.05 })) });

/** `model` forty looks into its second step, each gate with a chart series and statistical evidence. */
function analysing(model: string, seed: number): Release {
  const base = newRelease(modelConfig(model), {
    from: 'v1.4.0',
    to: 'v1.5.0',
    pr: PR,
    headSha: sha(1),
    now: T0,
  });
  const gates = base.gates.map((gate, g) => {
    let state: GateState = gate;
    for (let i = 1; i <= 40; i++) {
      const x = ((seed * 7919 + g * 104_729 + i * 1_299_709) % 10_007) / 500_000;
      const look = {
        at: T0 + i * 60_000,
        verdict: 'pass' as const,
        canary: x,
        baseline: x / 2,
        canaryRequests: 1000 + i,
        baselineRequests: 9000 + i,
        evidence: {
          method: 'sequential-binomial',
          effect: x / 3,
          interval: [x / 4, x] as [number, number],
          eValue: x,
        },
      };
      state = { ...withLook(state, look, T0), last: look };
    }
    return state;
  });
  return {
    ...base,
    status: 'analysing',
    phase: 1,
    phaseStartedAt: T0 + 20 * 60_000,
    updatedAt: T0 + 40 * 60_000,
    reason: 'step 2 of 3 at 25%: gates pending',
    phases: [
      { name: 'step 1', weight: 10, startedAt: T0, endedAt: T0 + 20 * 60_000, outcome: 'passed' },
      { name: 'step 2', weight: 25, startedAt: T0 + 20 * 60_000 },
    ],
    gates,
  };
}

/** A job's final write of the PR's comment over `count` models, as the action renders it. */
async function publish(count: number, runUrl?: string): Promise<string> {
  const names = Array.from({ length: count }, (_, i) => `model-${i}`);
  const config: Config = {
    version: 1,
    allowForks: false,
    models: Object.fromEntries(names.map((n) => [n, modelConfig(n)])),
  };
  const client = getOctokit('ghs_job_token', { baseUrl: github.url });
  const ledger = new GitHubLedger({ client, repo, sha: sha(1), pr: PR });
  for (const [i, n] of names.entries()) await ledger.saveRelease(analysing(n, i + 1));
  const clock = new FakeClock(T0 + 40 * 60_000);
  const render = (r: Parameters<typeof renderMarkdown>[1], compact: boolean) =>
    renderMarkdown(config, r, { now: clock.now(), runUrl, compact, prComment: true });
  const publisher = new CommentPublisher(ledger, render, { runId: 41, attempt: 1 }, clock, {
    settleMs: 0,
    ...(runUrl ? { runUrl } : {}),
  });
  await publisher.publish({ final: true });
  return github.comments(PR).find((c) => c.body.startsWith(COMMENT_MARKER))?.body ?? '';
}

/** What a reader sees: the report below the hidden head. */
const visible = (body: string) => body.slice(body.indexOf('## model-gate'));

describe('a PR comment too large for the full report', () => {
  it('says under its heading that charts and phase history are left out, and links the job summaries', async () => {
    const report = visible(await publish(10, RUN));
    // The compact report, every model's gate table, no chart or phase history ...
    expect(report).toContain('### model-0: v1.4.0 → v1.5.0 (analysing)');
    expect(report).toContain('| gate | candidate | baseline | bound | verdict |');
    expect(report).not.toContain('```mermaid');
    expect(report).not.toContain('Phase history');
    // ... saying so right under its heading.
    const [heading, blank, note] = report.split('\n');
    expect(heading).toMatch(/^## model-gate: /);
    expect(blank).toBe('');
    expect(note).toBe(
      `ℹ️ Charts, phase history and how the gates judge are left out to fit a GitHub comment: see the job summaries of [the workflow run](${RUN}).`,
    );
  });

  it('names the workflow run unlinked where its address is not known', async () => {
    const body = await publish(10);
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(visible(body)).not.toContain('```mermaid');
    expect(visible(body)).toContain(
      'ℹ️ Charts, phase history and how the gates judge are left out to fit a GitHub comment: see the job summaries of the workflow run.',
    );
  });
});
