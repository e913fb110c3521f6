import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { pullRequestState } from '../../src/github/pull-request-state.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { MetricSource, MetricWindow } from '../../src/metrics/source.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent, type RunResult } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import type { FakeGitHub } from './fake-github/server.js';
import { fraudServing, startFraudWorld } from './main-step.js';
import { sha } from './model-config.js';
import { ScriptedMetrics } from './scripted-metrics.js';

// Runs racing on the same release (a schedule tick, a PR's job, a workflow_dispatch command, in
// different concurrency groups), each with its own ledger on one store: the PR's comment on a GitHub
// stand-in, or a ledger file two `model-gate run` processes share. The platform is a real sandbox,
// time a fake clock.

export const MODEL = 'fraud-detector';

/** For describe.each: where the releases are kept, and whether that is a ledger file (`useLedgerFile`). */
export const STORES = [
  ['in a PR comment on GitHub', false],
  ['in a ledger file (model-gate run)', true],
] as const;

/** `meanwhile` (another run's step), run once: at the first call. */
export function once(meanwhile?: () => Promise<unknown>): () => Promise<void> {
  let pending = meanwhile;
  return async () => {
    const run = pending;
    pending = undefined;
    await run?.();
  };
}

/**
 * Metrics of a healthy candidate (or one with `candidateErrors`): enough, 20 s after a step began,
 * to pass it. `beforeQuery` runs before each query, given its window: where another run acts after
 * this one read the release and found its candidate live. The first query is the pre-flight read
 * of stable, before any deploy (metrics-preflight.ts); a window of the `canary` slot is a look.
 */
export function raceMetrics(
  beforeQuery: (w: MetricWindow) => Promise<void>,
  candidateErrors = 0.005,
): MetricSource {
  const scripted = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': candidateErrors } },
  });
  return {
    async requests(w) {
      await beforeQuery(w);
      return scripted.requests(w);
    },
    async value(q, w) {
      await beforeQuery(w);
      return scripted.value(q, w);
    },
  };
}

export interface RaceJob {
  metrics: MetricSource;
  /** Collects what the job warns about. */
  warnings?: string[];
  /** The platform as this job sees it (default: the sandbox). */
  target?: (model: ModelConfig) => Target;
  /** The PR comment written on every progress report, as the action's are (default: only at the end). */
  liveComment?: boolean;
  /** Run once, as the job first reads a version file: another run acting while this one starts. */
  atFirstRead?: (() => Promise<unknown>) | undefined;
  /** The job asks the GitHub stand-in for a PR's state, as the action's ports do (default: it cannot ask). */
  pullRequestState?: boolean;
}

export interface RaceWorld {
  readonly github: FakeGitHub;
  readonly sandbox: Sandbox;
  /** A fresh fake clock for each test. */
  readonly clock: FakeClock;
  /** Each test's own PR. */
  readonly pr: number;
  /** Where the releases are kept: the GitHub stand-in, or this file. */
  ledgerFile: string | undefined;
  /** fraud-detector as a canary on the sandbox, as configOf has it (`steps` like "[10, 50]"). */
  configWith(
    steps: string,
    opts?: {
      stepDuration?: string;
      minRequests?: number;
      interval?: string;
      onMerge?: string;
      target?: string;
    },
  ): Config;
  /**
   * fraud-detector on the sandbox under `strategy` (a YAML flow map), its metrics the sandbox's,
   * judged by its error rate (max 2%); `onMerge`, its on-merge setting; `target`, its target
   * instead of the sandbox (a YAML flow map).
   */
  configOf(strategy: string, opts?: { onMerge?: string; target?: string }): Config;
  /** Keep the releases in a new ledger file (`inFile`), or on the GitHub stand-in. */
  useLedgerFile(inFile: boolean, prefix: string): Promise<void>;
  /** What the sandbox serves of the model. */
  serving(): Promise<unknown>;
  /** The PR's comment on GitHub; with a ledger file, none is written. */
  comment(n?: number): string | undefined;
  /** The ledger as the next job would read it. */
  ledgerOf(): Ledger;
  /** The model's release as the ledger holds it, read as the next job would. */
  recorded(): ReturnType<Ledger['release']>;
  /** The test's PR moving the model from v1 to `to` at head `head`. */
  pullRequest(to: string, head: number): PullRequestEvent;
  /** One job, as the action (or `model-gate run`) runs it: its own ledger and ports, and the final publish. */
  job(
    event: PullRequestEvent | undefined,
    config: Config,
    opts: RaceJob,
  ): { ports: Ports; publish: (result: RunResult) => Promise<RunResult> };
}

/**
 * The sandbox (v1 serving) and the GitHub stand-in, started once for the file; before each test a
 * fresh clock, v1 alone serving again and a PR of its own; after it, `closePr` closes that PR (which
 * frees the canary slot for the next test's PR).
 */
export function useRaceWorld(opts: {
  firstPr: number;
  firstRunId: number;
  closePr: (closed: PullRequestEvent) => Promise<unknown>;
}): RaceWorld {
  const repo = { owner: 'Codertocat', repo: 'Hello-World' };
  const files: Record<string, Record<string, string>> = {};
  let runId = opts.firstRunId;
  const client = () =>
    gitHubClient({ token: 'ghs_x', baseUrl: world.github.url, warn: () => {}, waitScale: 0.001 });
  const world: { -readonly [K in keyof RaceWorld]: RaceWorld[K] } = {
    // Set by beforeAll.
    github: undefined as unknown as FakeGitHub,
    sandbox: undefined as unknown as Sandbox,
    clock: new FakeClock(Date.now()),
    pr: opts.firstPr,
    ledgerFile: undefined,
    configWith(steps, { stepDuration = '1m', minRequests = 100, interval = '10s', ...rest } = {}) {
      return world.configOf(
        `{ type: canary, steps: ${steps}, step-duration: ${stepDuration}, min-requests: ${minRequests}, interval: ${interval} }`,
        rest,
      );
    },
    configOf(strategy, { onMerge, target = `{ type: sandbox, url: "\${SANDBOX_URL}" }` } = {}) {
      const merge = onMerge ? `\n    on-merge: ${onMerge}` : '';
      return parseConfig(
        `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: ${target}
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: ${strategy}${merge}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
        { SANDBOX_URL: world.sandbox.url },
      ).config;
    },
    async useLedgerFile(inFile, prefix) {
      world.ledgerFile = inFile ? join(await mkdtemp(join(tmpdir(), prefix)), 'ledger.json') : undefined;
    },
    serving: () => fraudServing(world.sandbox),
    comment: (n = world.pr) =>
      world.ledgerFile
        ? undefined
        : world.github.comments(n).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body,
    ledgerOf() {
      if (world.ledgerFile) return fileLedger(world.ledgerFile);
      return new GitHubLedger({ client: client(), repo, sha: sha(999), pr: world.pr, clock: world.clock });
    },
    recorded: () => world.ledgerOf().release(MODEL),
    pullRequest(to, head) {
      files[sha(1)] = { 'model.yaml': 'version: v1\n' };
      files[sha(head)] = { 'model.yaml': `version: ${to}\n` };
      world.github.setPullRequest(world.pr, { baseSha: sha(1), headSha: sha(head), files: [] });
      return { action: 'opened', number: world.pr, baseSha: sha(1), headSha: sha(head), merged: false };
    },
    job(event, config, job) {
      const { clock } = world;
      const ledger = world.ledgerFile
        ? fileLedger(world.ledgerFile)
        : new GitHubLedger({
            client: client(),
            repo,
            sha: event?.headSha ?? sha(999),
            pr: event?.number,
            clock,
          });
      const stamp = { runId: ++runId, attempt: 1 };
      const render = (r: RunResult, compact: boolean) =>
        renderMarkdown(config, r, { now: clock.now(), compact, prComment: true });
      const publisher =
        ledger instanceof GitHubLedger
          ? new CommentPublisher(ledger, render, stamp, clock, { settleMs: 0 })
          : undefined;
      const reader = memoryFileReader(files);
      const first = once(job.atFirstRead);
      const ports: Ports = {
        ledger,
        reader: job.atFirstRead
          ? {
              read: async (ref, path) => {
                await first();
                return reader.read(ref, path);
              },
            }
          : reader,
        clock,
        log: { info: () => {}, warn: (message) => job.warnings?.push(message) },
        targetFor: job.target ?? targetFor,
        metricsFor: () => job.metrics,
        ...(job.liveComment ? { onProgress: (_, progress) => publisher?.publish(progress) } : {}),
        ...(job.pullRequestState
          ? { pullRequestState: (n: number) => pullRequestState(client(), repo, n) }
          : {}),
      };
      async function publish(result: RunResult) {
        const notes = new Map<number, RunResult['skipped']>();
        if (event) notes.set(event.number, result.skipped);
        await publisher?.publish({ final: true, notes, rollbacks: result.rollbacks });
        return result;
      }
      return { ports, publish };
    },
  };

  beforeAll(async () => {
    Object.assign(world, await startFraudWorld('v1'));
  });
  afterAll(async () => {
    expect(world.github.violations).toEqual([]);
    await world.sandbox?.close();
    await world.github?.close();
  });
  beforeEach(async () => {
    world.clock = new FakeClock(Date.now());
    await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, {
      stable: { version: 'v1' },
    });
    world.pr++;
  });
  afterEach(async () => {
    await opts.closePr({
      action: 'closed',
      number: world.pr,
      baseSha: sha(1),
      headSha: sha(2),
      merged: false,
    });
  });
  return world;
}

/** What a race test's job may vary. */
export interface JobWorld {
  /** Run by another job at this job's first metrics query: after this job read the release. */
  meanwhile?: () => Promise<unknown>;
  candidateErrors?: number;
  /** Collects what the job warns about. */
  warnings?: string[];
  /** The platform as this job sees it (default: the sandbox). */
  target?: (model: ModelConfig) => Target;
}

/**
 * A race test's jobs on `world` with the test file's `config`: one job (`liveComment`: its PR
 * comment written on every progress report, as the action's are; else only at its end), a PR's
 * job in `mode`, and a schedule tick, each published as the action publishes its run.
 */
export function raceJobs(world: RaceWorld, config: () => Config, liveComment: boolean) {
  const job = (event?: PullRequestEvent, { meanwhile, candidateErrors, ...rest }: JobWorld = {}) =>
    world.job(event, config(), {
      metrics: raceMetrics(once(meanwhile), candidateErrors),
      liveComment,
      ...rest,
    });
  async function prJob(event: PullRequestEvent, mode: 'watch' | 'tick', opts: JobWorld = {}) {
    const { ports, publish } = job(event, opts);
    return publish(
      await handlePullRequest(config(), event, ports, { mode, maxWaitMs: 3_600_000, dryRun: false }),
    );
  }
  async function scheduleTick(opts: JobWorld = {}) {
    const { ports, publish } = job(undefined, opts);
    return publish(await handleSchedule(config(), ports, { mode: 'tick', maxWaitMs: 60_000 }));
  }
  /** An operator's rollback of the model to `version` by workflow_dispatch. */
  async function rollbackTo(version: string) {
    const { ports, publish } = job(undefined);
    const inputs = { model: MODEL, toVersion: version, dryRun: false, trigger: 'workflow_dispatch' };
    return publish(await handleCommand(config(), 'rollback', inputs, ports));
  }
  /**
   * The PR's release (a job in tick mode) left ready with its change to idle pending: GitHub
   * failed the guard read before that change, so the job ended without making it.
   */
  async function readyWithIdlePending(event: PullRequestEvent) {
    await prJob(event, 'tick');
    world.clock.advance(20_000);
    const { ports, publish } = job(event);
    const answering = ports.ledger;
    const failing: Ledger = Object.create(answering, {
      endedElsewhere: {
        value: async (release: Release, fresh: boolean) => {
          if (fresh && release.status === 'ready') throw gitHub502();
          return answering.endedElsewhere?.(release, fresh);
        },
      },
    });
    const run = handlePullRequest(
      config(),
      event,
      { ...ports, ledger: failing },
      { mode: 'tick', maxWaitMs: 3_600_000, dryRun: false },
    );
    await run.then(publish, () => undefined);
    expect(await world.recorded()).toMatchObject({ to: 'v2', status: 'ready', idlePending: true });
  }
  return { job, prJob, scheduleTick, rollbackTo, readyWithIdlePending };
}

/** What GitHub's client throws for a 502 answer. */
export const gitHub502 = () =>
  Object.assign(new Error('GitHub 502 Bad Gateway'), { status: 502, request: {} });

/** A promise and the function that resolves it (Promise.withResolvers, which the lib target lacks). */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Whether `d` serves v2 alone: the promotion's traffic. */
const isPromotion = (d: TrafficState) => d.stable.version === 'v2' && !d.canary;

/** Where a promotion is interrupted. */
export type PromotionAt = 'before-change' | 'before-read-back' | 'after-read-back';

/**
 * A run's platform (the sandbox) running `meanwhile` once at the run's promotion of v2:
 * `before-change` as the run asks for v2 alone; once the platform serves it, before or after the
 * run's read back.
 */
export function promotionInterrupted(at: PromotionAt, meanwhile: () => Promise<unknown>) {
  const run = once(meanwhile);
  let promoted = false;
  return (model: ModelConfig): Target => {
    const target = targetFor(model);
    return Object.create(target, {
      write: {
        value: async (desired: TrafficState) => {
          if (at === 'before-change' && isPromotion(desired)) await run();
          await target.write(desired);
          promoted ||= isPromotion(desired);
        },
      },
      read: {
        value: async (...args: Parameters<Target['read']>) => {
          if (at === 'before-read-back' && promoted) await run();
          const state = await target.read(...args);
          if (at === 'after-read-back' && promoted) await run();
          return state;
        },
      },
    });
  };
}
