import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent, type RunResult } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// A schedule tick and a PR's job (or a workflow_dispatch) on the same release at the same time:
// they are in different concurrency groups. Between the tick's read of the release and its
// writes, the other run supersedes, finishes or rolls back the release; the tick must leave the
// other run's word standing, on the serving platform (a real sandbox) and in the ledger: the PR's
// comment on a GitHub stand-in, or a ledger file two `model-gate run` processes share. The other
// run acts while the tick looks at the metrics, after its read.
const MODEL = 'fraud-detector';
const repo = { owner: 'Codertocat', repo: 'Hello-World' };

let github: FakeGitHub;
let sandbox: Sandbox;
let config: Config;
let clock: FakeClock;
const files: Record<string, Record<string, string>> = {};
let runId = 200;
let pr = 20;
/** Where the releases are kept: the GitHub stand-in, or this file. */
let ledgerFile: string | undefined;

beforeAll(async () => {
  github = await startFakeGitHub(repo);
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  config = parseConfig(
    `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
    { SANDBOX_URL: sandbox.url },
  ).config;
});
afterAll(async () => {
  expect(github.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});
beforeEach(async () => {
  clock = new FakeClock(Date.now());
  // Each test starts from v1 alone serving, and a PR of its own.
  await requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, { stable: { version: 'v1' } });
  pr++;
});
// Closing the PR frees the canary slot for the next test's PR.
afterEach(async () => {
  await prJob({ action: 'closed', number: pr, baseSha: sha(1), headSha: sha(2), merged: false }, 'tick');
});

const serving = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;
/** The action's GitHub client (it cuts descriptions to GitHub's length), pacing its writes by the millisecond. */
const actionClient = () =>
  gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.001 });
/** The PR's comment on GitHub; with a ledger file, none is written. */
const comment = (n: number) =>
  ledgerFile
    ? undefined
    : github.comments(n).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body;
/** The model's release as the ledger holds it, read as the next job would. */
const recorded = () => ledgerOf().release(MODEL);

function ledgerOf(event?: PullRequestEvent): Ledger {
  if (ledgerFile) return fileLedger(ledgerFile);
  const client = actionClient();
  return new GitHubLedger({ client, repo, sha: event?.headSha ?? sha(999), pr: event?.number ?? pr, clock });
}

/**
 * Metrics of a healthy candidate (or one with `candidateErrors`); `meanwhile` runs once, at the
 * first query: after the run read the release.
 */
function metrics(meanwhile?: () => Promise<unknown>, candidateErrors = 0.005): MetricSource {
  const scripted = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': candidateErrors } },
  });
  let pending = meanwhile;
  const first = async () => {
    const run = pending;
    pending = undefined;
    await run?.();
  };
  return {
    async requests(w) {
      await first();
      return scripted.requests(w);
    },
    async value(q, w) {
      await first();
      return scripted.value(q, w);
    },
  };
}

interface JobWorld {
  meanwhile?: () => Promise<unknown>;
  candidateErrors?: number;
  /** Collects what the job warns about. */
  warnings?: string[];
  /** The platform as this job sees it (default: the sandbox). */
  target?: (model: ModelConfig) => Target;
}

/** One job, as the action (or `model-gate run`) runs it: its own ledger and ports, and the final publish. */
function job(event?: PullRequestEvent, world: JobWorld = {}) {
  const client = actionClient();
  const ledger = ledgerFile
    ? fileLedger(ledgerFile)
    : new GitHubLedger({ client, repo, sha: event?.headSha ?? sha(999), pr: event?.number, clock });
  const source = metrics(world.meanwhile, world.candidateErrors);
  const ports: Ports = {
    ledger,
    reader: memoryFileReader(files),
    clock,
    log: { info: () => {}, warn: (message) => world.warnings?.push(message) },
    targetFor: world.target ?? targetFor,
    metricsFor: () => source,
  };
  const stamp = { runId: ++runId, attempt: 1 };
  async function publish(result: RunResult) {
    if (!(ledger instanceof GitHubLedger)) return result;
    const render = (r: RunResult, compact: boolean) =>
      renderMarkdown(config, r, { now: clock.now(), compact });
    const publisher = new CommentPublisher(ledger, render, stamp, clock, { settleMs: 0 });
    const notes = new Map<number, RunResult['skipped']>();
    if (event) notes.set(event.number, result.skipped);
    await publisher.publish({ final: true, notes, rollbacks: result.rollbacks });
    return result;
  }
  return { ports, publish };
}

/** PR `pr` moving the model from v1 to `to` at head `head`. */
function pullRequest(to: string, head: number, action = 'opened'): PullRequestEvent {
  files[sha(1)] = { 'model.yaml': 'version: v1\n' };
  files[sha(head)] = { 'model.yaml': `version: ${to}\n` };
  github.setPullRequest(pr, { baseSha: sha(1), headSha: sha(head), files: [] });
  return { action, number: pr, baseSha: sha(1), headSha: sha(head), merged: false };
}

async function prJob(event: PullRequestEvent, mode: 'watch' | 'tick', world: JobWorld = {}) {
  const { ports, publish } = job(event, world);
  return publish(
    await handlePullRequest(config, event, ports, { mode, maxWaitMs: 3_600_000, dryRun: false }),
  );
}

/** The PR's job in tick mode: v2 deployed at 10%, analysing step 1 of 2. */
async function analysingV2(head: number) {
  const event = pullRequest('v2', head);
  await prJob(event, 'tick');
  expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  return event;
}

/**
 * The sandbox as a platform that applies a change at once but confirms it only once `confirmed`
 * resolves (a rollout it waits for); `applied` is called when the change took effect.
 */
function slowToConfirm(confirmed: Promise<void>, applied: () => void) {
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          await target.write(desired);
          applied();
          await confirmed;
        },
      },
    });
  };
}

/**
 * A schedule tick, with `meanwhile` run by another job after the tick read the release, and
 * `beforeWrite` after the tick recorded its step and before it writes the PR's comment.
 */
async function scheduleTick(meanwhile: () => Promise<unknown>, beforeWrite?: () => Promise<unknown>) {
  const warnings: string[] = [];
  const { ports, publish } = job(undefined, { meanwhile, warnings });
  const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 60_000 });
  await beforeWrite?.();
  return { ...(await publish(result)), warnings };
}

describe.each([
  ['in a PR comment on GitHub', false],
  ['in a ledger file (model-gate run)', true],
])('a schedule tick racing another run on the same release, its state %s', (_, inFile) => {
  beforeEach(async () => {
    ledgerFile = inFile ? join(await mkdtemp(join(tmpdir(), 'model-gate-races-')), 'ledger.json') : undefined;
  });

  it('a rollback by workflow_dispatch while the tick looks stays rolled back: the tick gives v2 no traffic again', async () => {
    await analysingV2(2);
    // Enough data for the tick to pass step 1 and shift v2 to 50%.
    clock.advance(20_000);
    const tick = await scheduleTick(async () => {
      const { ports, publish } = job();
      const inputs = { model: MODEL, toVersion: 'v1', dryRun: false, trigger: 'workflow_dispatch' };
      await publish(await handleCommand(config, 'rollback', inputs, ports));
    });
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(tick.releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    const why = 'a rollback to v1 by workflow_dispatch withdrew it';
    expect(tick.warnings).toEqual([
      expect.stringMatching(/^fraud-detector v2 was ended by another run: a rollback to v1/),
    ]);
    expect(await recorded()).toMatchObject({
      to: 'v2',
      status: 'aborted',
      reason: expect.stringContaining(why),
    });
    if (inFile) return;
    expect(comment(pr)).toContain('## model-gate: ⏹️ Withdrawn');
    expect(comment(pr)).toContain('a rollback to v1 by workflow\\_dispatch withdrew it');
  });

  it('a new push while the tick looks: the new candidate keeps the slot, the superseded one gets no traffic', async () => {
    await analysingV2(2);
    clock.advance(20_000);
    const tick = await scheduleTick(() => prJob({ ...pullRequest('v3', 3), action: 'synchronize' }, 'tick'));
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } });
    expect(tick.releases).toMatchObject([{ to: 'v3', status: 'analysing', phase: 0 }]);
    expect(tick.warnings).toEqual([
      expect.stringMatching(
        /^fraud-detector v2 was superseded by another run: the release of fraud-detector is now v3/,
      ),
    ]);
    expect(await recorded()).toMatchObject({ to: 'v3', headSha: sha(3), status: 'analysing', phase: 0 });
    if (inFile) return;
    expect(comment(pr)).toContain('- fraud-detector v3: analysing step 1 of 2');
  });

  it('the PR job finishes the analysis while the tick looks: the release stays ready, and the next tick leaves it so', async () => {
    const event = await analysingV2(2);
    // Too little data yet for the tick to decide: it would only record its look.
    const tick = await scheduleTick(() => prJob(event, 'watch'));
    const idle = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } };
    expect(await serving()).toEqual(idle);
    expect(tick.releases).toMatchObject([{ to: 'v2', status: 'ready' }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'ready' });
    expect(comment(pr) ?? 'Ready to merge').toContain('Ready to merge');
    // Had the tick's look been recorded over it, the next tick would find v2 "analysing" without
    // live traffic and end it as aborted.
    clock.advance(60_000);
    const next = await scheduleTick(async () => {});
    expect(next.releases.filter((r) => r.status === 'aborted')).toEqual([]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'ready' });
    expect(await serving()).toEqual(idle);
  });

  // A ledger file holds the tick's record as soon as it is saved: only a comment is written later.
  if (!inFile)
    it('the PR job finishes the analysis after the tick recorded its look, before it writes the comment: the comment stays ready', async () => {
      const event = await analysingV2(2);
      await scheduleTick(
        async () => {},
        () => prJob(event, 'watch'),
      );
      expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
      expect(await recorded()).toMatchObject({ to: 'v2', status: 'ready' });
      expect(comment(pr) ?? 'Ready to merge').toContain('Ready to merge');
    });

  it('a PR job rolling back on a platform slow to confirm it (6 min), a schedule tick meanwhile: the record ends as the PR job decided', async () => {
    const event = await analysingV2(2);
    clock.advance(20_000);
    let confirm = () => {};
    const confirmed = new Promise<void>((done) => {
      confirm = done;
    });
    let applied = () => {};
    const withdrawn = new Promise<void>((done) => {
      applied = done;
    });
    const target = slowToConfirm(confirmed, applied);
    const rollingBack = prJob(event, 'tick', { candidateErrors: 0.09, target });
    await withdrawn;
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    // The tick finds v2 without traffic and the record unchanged after its grace: it ends it, as
    // withdrawn without being recorded (untrue, until the job's own end is recorded over it). The
    // job must not give its end up to that one.
    await scheduleTick(async () => {});
    clock.advance(6 * 60_000);
    confirm();
    const why = 'errors: 9.00% is above the max 2.00%';
    expect((await rollingBack).releases).toMatchObject([{ to: 'v2', status: 'failed', reason: why }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'failed', reason: why });
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    if (inFile) return;
    expect(comment(pr)).toContain('## model-gate: ❌ Rolled back');
    expect(comment(pr)).not.toContain('without recording');
  });

  it('the PR job moves to the next step while the tick looks: the record keeps the step the platform is at', async () => {
    const event = await analysingV2(2);
    const tick = await scheduleTick(async () => {
      clock.advance(20_000);
      await prJob(event, 'tick');
    });
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } });
    expect(tick.releases).toMatchObject([{ to: 'v2', status: 'analysing', phase: 1 }]);
    expect(await recorded()).toMatchObject({ to: 'v2', status: 'analysing', phase: 1 });
    if (inFile) return;
    expect(comment(pr)).toContain('- fraud-detector v2: analysing step 2 of 2');
  });
});
