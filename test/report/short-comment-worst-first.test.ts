import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import type { GitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_LIMIT } from '../../src/github/sticky-comment.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Measurement, Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';

// A PR over hundreds of models gets the short comment, which cuts the model lines to fit
// (`… and N more`): the one model that failed, last in the config, must still be named there.
let github: FakeGitHub;
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const head = 'e'.repeat(40);
const T0 = Date.UTC(2025, 0, 1);
const RUN = 'https://github.com/Codertocat/Hello-World/actions/runs/2';
const PR = 21;

beforeAll(async () => {
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

const GATES = ['error-rate', 'p99-latency'];

const modelConfig = (name: string): ModelConfig =>
  canaryModel({ name, gates: GATES.map((g) => thresholdGate({ name: g, query: g, max: 0.05 })) });

/** Deterministic full-precision figures, as rates of counts are (0.012345679012345678). */
function figures(seed: number) {
  let x = seed;
  return () => {
    x = (x * 48_271) % 2_147_483_647;
    return x / 2_147_483_647 / 40;
  };
}

/**
 * A release that ended after its first step: every gate passed (ready), or error-rate failed it.
 * Each gate keeps its last look's figures: 520 such states leave room for only some model lines.
 */
function ended(name: string, seed: number, failed: boolean): Release {
  const next = figures(seed);
  const base = newRelease(modelConfig(name), {
    from: 'v1.4.0',
    to: 'v1.5.0',
    pr: PR,
    headSha: head,
    now: T0,
  });
  const reason = 'error-rate: 9.00% is above the max 5.00%';
  return {
    ...base,
    status: failed ? 'failed' : 'ready',
    updatedAt: T0 + 20 * 60_000,
    ...(failed ? { reason } : {}),
    phases: [
      {
        name: 'step 1',
        weight: 10,
        startedAt: T0,
        endedAt: T0 + 20 * 60_000,
        outcome: failed ? 'failed' : 'passed',
      },
    ],
    gates: base.gates.map((g) => {
      const verdict = failed && g.name === 'error-rate' ? 'fail' : 'pass';
      const last: Measurement = { at: T0 + 20 * 60_000, verdict, canary: next(), baseline: next() };
      return { ...g, verdict, last };
    }),
  };
}

describe('the short comment of a PR over hundreds of models', () => {
  it('names the one failed model, last in the config, though the ready ones are cut', async () => {
    const names = Array.from({ length: 520 }, (_, i) => `model-${String(i).padStart(3, '0')}`);
    const failed = names.at(-1) as string;
    const config: Config = {
      version: 1,
      allowForks: false,
      models: Object.fromEntries(names.map((n) => [n, modelConfig(n)])),
    };
    github.setPullRequest(PR, { baseSha: 'a'.repeat(40), headSha: head, files: [] });
    const client: GitHubClient = getOctokit('ghs_job_token', { baseUrl: github.url });
    const ledger = new GitHubLedger({ client, repo, sha: head, pr: PR });
    for (const [i, n] of names.entries()) await ledger.saveRelease(ended(n, i + 1, n === failed));
    const clock = new FakeClock(T0 + 20 * 60_000);
    const publisher = new CommentPublisher(
      ledger,
      (result, compact) =>
        renderMarkdown(config, result, { now: clock.now(), runUrl: RUN, compact, prComment: true }),
      { runId: 2, attempt: 1 },
      clock,
      { runUrl: RUN, settleMs: 1_000, warn: () => {} },
    );
    await publisher.publish({ final: true });

    const body = github.comments(PR)[0]?.body ?? '';
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    const visible = body.slice(body.indexOf(' -->\n', body.indexOf('model-gate-data:')) + 5);
    // The heading names the one that failed, and counts the others.
    expect(
      visible.startsWith(`## model-gate: ❌ ${failed} rolled back; 519 ready to merge (of 520 models)\n`),
    ).toBe(true);
    // Some ready models are cut, and counted.
    expect(visible).toMatch(/\n- … and \d+ more\n/);
    // The failed model comes first, with why; the ready ones after it in config order.
    const lines = visible.split('\n').filter((l) => l.startsWith('- '));
    expect(lines[0]).toBe(
      `- rolled back: ${failed} v1.5.0 was rolled back to v1.4.0 in step 1 (10% of live traffic): error-rate: 9.00% is above the max 5.00%`,
    );
    expect(lines[1]).toBe('- ready: model-000 v1.5.0 passed every gate and is ready to merge');
  });
});
