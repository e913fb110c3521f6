import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from '../../src/github/sticky-comment.js';
import { PROMOTION_GRACE_MS } from '../../src/release/merged-ready.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { fraudPr } from '../support/fraud-pr.js';
import { fraudServing, runMainStep } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { platformPassThrough } from '../support/platform-pass-through.js';

// PR #4 takes two models, alpha and beta, from v1 to v2; both pass. On the merge (on-merge:
// require-pass, the default) alpha's platform refuses the change that makes v2 stable. The merge job
// used to stop there: exit 1 naming the refusal, `decision: error`, `models: []`, no job summary,
// the PR comment still "✅ Ready to merge", beta not promoted and nothing saying so; no schedule tick
// tried again. Now the refusal is on record (merged, promotion pending, and why), beta is promoted,
// the comment and summary say so and the job fails; a re-run, or a tick after the grace, promotes
// alpha. Main step from src/: each model on its own real sandbox (alpha's behind a pass-through that
// refuses the promotion), the ledger a PR comment on the GitHub stand-in.

const CONFIG = `version: 1
defaults:
  strategy: { type: canary, steps: [50], step-duration: 30s, min-requests: 40, interval: 250ms }
models:
  alpha:
    source: { file: models/alpha.yaml, key: version }
    target: { type: sandbox, url: "\${ALPHA_PLATFORM_URL}", model: fraud-detector }
    metrics: { type: sandbox, url: "\${ALPHA_URL}", model: fraud-detector }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
  beta:
    source: { file: models/beta.yaml, key: version }
    target: { type: sandbox, url: "\${BETA_URL}", model: fraud-detector }
    metrics: { type: sandbox, url: "\${BETA_URL}", model: fraud-detector }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;
const REFUSAL = 'promote refused';

let github: FakeGitHub;
let alpha: Sandbox;
let beta: Sandbox;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let traffic: TrafficGenerator[] = [];
let refusing = false;

beforeAll(async () => {
  const serving = (seed: number) =>
    startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: 'fraud-detector', stable: 'v1' }], seed });
  [alpha, beta] = [await serving(3), await serving(4)];
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  // alpha's traffic API as its target sees it: the change that makes v2 stable is refused while `refusing`.
  platform = await platformPassThrough(alpha.url, async ({ method, body }, forward) => {
    const promotion =
      method === 'PUT' && (body as { stable?: { version?: string } }).stable?.version === 'v2';
    return promotion && refusing ? { status: 503, body: { error: REFUSAL } } : forward();
  });
  traffic = [alpha, beta].map((s, i) =>
    startTraffic({ url: s.url, model: 'fraud-detector', rps: 200, seed: 7 + i }),
  );
  for (const name of ['alpha', 'beta']) {
    github.setFile(sha(1), `models/${name}.yaml`, 'version: v1\n');
    github.setFile(sha(2), `models/${name}.yaml`, 'version: v2\n');
  }
  github.setPullRequest(4, {
    baseSha: sha(1),
    headSha: sha(2),
    files: ['alpha', 'beta'].map((name) => ({
      filename: `models/${name}.yaml`,
      status: 'modified' as const,
    })),
  });
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  for (const t of traffic) await t.stop();
  await platform?.close();
  await alpha?.close();
  await beta?.close();
  await github?.close();
});

/** PR #4's job on `action` (`closed` is its merge). */
const job = (action: 'opened' | 'closed') =>
  runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent(
      action,
      { base: sha(1), head: sha(2) },
      { number: 4, merged: action === 'closed' },
    ),
    inputs: { ledger: 'github', 'max-wait': '2m' },
    config: CONFIG,
    githubUrl: github.url,
    env: {
      ALPHA_URL: alpha.url,
      ALPHA_PLATFORM_URL: platform.url,
      BETA_URL: beta.url,
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
    },
  });

const comment = () =>
  github.comments(4).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';
const recorded = (model: string) =>
  (readBody(comment()).data as { releases: Record<string, Release> } | undefined)?.releases[model];
const outcomes = (models: string | undefined) =>
  (JSON.parse(models ?? '[]') as { model: string; status: string }[]).map((m) => [m.model, m.status]);

describe("a merge job whose promotion one model's platform refuses", () => {
  it('promotes the other model, records the refusal, says so in the comment and summary, and fails', async () => {
    const opened = await job('opened');
    expect([opened.error, opened.outputs.decision]).toEqual([undefined, 'ready']);

    refusing = true;
    const merged = await job('closed');
    const why = `v2 passed its analysis, but promoting it failed: sandbox fraud-detector at ${platform.url} answered the traffic change with HTTP 503: ${REFUSAL}; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${platform.url}/healthz answers once it is up); the next schedule tick tries again (or re-run the merge job of PR #4, or use the promote command)`;
    expect(merged.exitCode).toBe(1);
    expect(merged.error).toBe(`model-gate: alpha v2: merged; promotion pending: ${why}`);
    expect(merged.outputs.decision).toBe('ready');
    expect(outcomes(merged.outputs.models)).toEqual([
      ['alpha', 'ready'],
      ['beta', 'promoted'],
    ]);
    for (const text of [merged.report, comment()]) {
      expect(text).toContain('## model-gate: ⏳ Merged: promotion pending');
      expect(text).not.toContain('Ready to merge');
      expect(text).toContain('beta v2 was promoted (replacing v1)');
      expect(text).toContain(`alpha v2: merged; promotion pending: ${why}`);
    }
    expect(((await fraudServing(alpha)) as { stable: unknown }).stable).toEqual({ version: 'v1' });
    expect(await fraudServing(beta)).toEqual({ stable: { version: 'v2' } });
    expect(recorded('alpha')).toMatchObject({ status: 'ready', reason: why, mergedAt: expect.any(Number) });

    // The platform answers again: a re-run of the merge job promotes alpha.
    refusing = false;
    const rerun = await job('closed');
    expect([rerun.error, rerun.exitCode ?? 0, rerun.outputs.decision]).toEqual([undefined, 0, 'promoted']);
    expect(await fraudServing(alpha)).toEqual({ stable: { version: 'v2' } });
    expect(recorded('alpha')).toMatchObject({ status: 'promoted' });
    expect(comment()).toContain('## model-gate: 🚀 Promoted');
  }, 60_000);
});

describe('a schedule tick after a merge job whose promotion was refused (engine, fake clock)', () => {
  it('leaves it within the grace, then tries again, never saying it was analysed after the merge', async () => {
    const w = await fraudPr();
    const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
    expect((await handlePullRequest(w.config, w.event(), w.ports, watch)).releases[0]?.status).toBe('ready');
    w.target.failFromWrite = w.target.writes.length;
    const merged = await handlePullRequest(w.config, w.event('closed', true), w.ports, watch);
    const why =
      'v2 passed its analysis, but promoting it failed: platform unavailable; the next schedule tick tries again (or re-run the merge job of PR #7, or use the promote command)';
    expect(merged.releases[0]).toMatchObject({ status: 'ready', reason: why, mergedAt: expect.any(Number) });

    const tick = { mode: 'tick' as const, maxWaitMs: 0 };
    w.clock.advance(PROMOTION_GRACE_MS / 2);
    await handleSchedule(w.config, w.ports, tick);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'ready', reason: why });

    // Still refused after the grace: tried once more, and said as the merge job said it.
    w.clock.advance(PROMOTION_GRACE_MS / 2);
    await handleSchedule(w.config, w.ports, tick);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'ready', reason: why });
    expect(await w.ledger.history('fraud')).toEqual([]);

    w.target.failFromWrite = Number.POSITIVE_INFINITY;
    w.clock.advance(PROMOTION_GRACE_MS);
    await handleSchedule(w.config, w.ports, tick);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'promoted' });
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
    const [entry, ...more] = await w.ledger.history('fraud');
    expect(more).toEqual([]);
    expect(entry?.summary).toMatch(/^passed .* on /);
    expect(entry?.summary).not.toContain('after the merge');
  });
});
