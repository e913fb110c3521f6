import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { requestJson } from '../../src/core/http-json.js';
import { addSecret } from '../../src/core/redact.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent, type RunResult } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { startFraudCopiesSandbox } from '../support/fraud-copies-sandbox.js';
import { sha } from '../support/model-config.js';
import { raceMetrics, STORES } from '../support/race-world.js';

// A schedule tick drives every model's release; no post step follows it. A defect met while driving
// one (a TypeError, a plain Error from a bug: no failure class model-gate knows) used to stop the
// whole run there: that release stayed analysing with its candidate's live traffic on, the models
// after it were not driven, and every later tick stopped the same way. Now that release ends, its
// end recorded before its candidate is withdrawn, the other models are driven, and the run still
// fails on the defect. Two models on a real sandbox; the ledger a PR comment on the GitHub
// stand-in, or a ledger file; time a fake clock.
const MODELS = ['fraud-detector', 'churn'] as const;
const SECRET = 'mg-secret-7f3a9c';
const DEFECT = `cannot read the series for token ${SECRET}: a bug`;
const STOPPED = 'model-gate stopped on an unexpected error: cannot read the series for token ***: a bug';

let sandbox: Sandbox;
let github: FakeGitHub;
let config: Config;
let pr = 80;
let ledgerFile: string | undefined;
let clock: FakeClock;
const files: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  sandbox = await startFraudCopiesSandbox(MODELS);
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  config = parseConfig(
    `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
  strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
models:
${MODELS.map(
  (m) => `  ${m}:
    source: { file: models/${m}.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }`,
).join('\n')}
`,
    { SANDBOX_URL: sandbox.url },
  ).config;
  // As the action registers a config's secrets: a defect's message may quote one.
  addSecret(SECRET);
  files[sha(1)] = Object.fromEntries(MODELS.map((m) => [`models/${m}.yaml`, 'version: v1\n']));
  files[sha(2)] = Object.fromEntries(MODELS.map((m) => [`models/${m}.yaml`, 'version: v2\n']));
});

afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await sandbox?.close();
  await github?.close();
});

const serving = async (model: string) =>
  (await requestJson('GET', `${sandbox.url}/admin/models/${model}/traffic`)).body;
const comment = () => github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body;
const ledgerOf = () =>
  ledgerFile
    ? fileLedger(ledgerFile)
    : new GitHubLedger({ client: client(), repo, sha: sha(999), pr, clock });
const recorded = (model: string) => ledgerOf().release(model);
const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const client = () => gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.001 });

interface JobWorld {
  /** Each model's metrics (default: a healthy candidate's). */
  metrics?: (model: ModelConfig) => MetricSource;
  target?: (model: ModelConfig) => Target;
  warnings?: string[];
}

/** One run as the action makes it: its ledger, the PR comment written on every progress report. */
function job(event: PullRequestEvent | undefined, opts: JobWorld = {}) {
  const ledger = ledgerFile
    ? fileLedger(ledgerFile)
    : new GitHubLedger({ client: client(), repo, sha: event?.headSha ?? sha(999), pr: event?.number, clock });
  const publisher =
    ledger instanceof GitHubLedger
      ? new CommentPublisher(
          ledger,
          (r, compact) => renderMarkdown(config, r, { now: clock.now(), compact, prComment: true }),
          { runId: 900 + pr, attempt: 1 },
          clock,
          { settleMs: 0 },
        )
      : undefined;
  const healthy = raceMetrics(async () => {});
  const ports: Ports = {
    ledger,
    reader: memoryFileReader(files),
    clock,
    log: { info: () => {}, warn: (m) => opts.warnings?.push(m) },
    targetFor: opts.target ?? targetFor,
    metricsFor: opts.metrics ?? (() => healthy),
    onProgress: (_, progress) => publisher?.publish(progress),
  };
  const publish = async (result: RunResult) => {
    await publisher?.publish({ final: true, notes: new Map(event ? [[event.number, result.skipped]] : []) });
    return result;
  };
  return { ports, publish };
}

const prEvent = (action: 'opened' | 'closed'): PullRequestEvent => ({
  action,
  number: pr,
  baseSha: sha(1),
  headSha: sha(2),
  merged: false,
});

/** fraud-detector's release as recorded when a run asks the platform to withdraw its candidate. */
let atWithdrawal: Release | undefined;

/** `target`, noting fraud-detector's record (atWithdrawal) as each withdrawal of its candidate is asked for. */
const noting =
  (target: (model: ModelConfig) => Target) =>
  (model: ModelConfig): Target => {
    const inner = target(model);
    if (model.name !== 'fraud-detector') return inner;
    return Object.create(inner, {
      write: {
        value: async (desired: TrafficState) => {
          if (!desired.canary) atWithdrawal = await recorded('fraud-detector');
          await inner.write(desired);
        },
      },
    });
  };

/** A schedule tick (one pass), as the action runs it: the final publish only when it did not stop. */
async function scheduleTick(opts: JobWorld = {}) {
  atWithdrawal = undefined;
  const { ports, publish } = job(undefined, { ...opts, target: noting(opts.target ?? targetFor) });
  return publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 60_000 }));
}

/** fraud-detector's metric source with a defect: every query throws a plain Error. */
const defectiveLook = (model: ModelConfig): MetricSource => {
  const healthy = raceMetrics(async () => {});
  if (model.name !== 'fraud-detector') return healthy;
  const fail = async (): Promise<never> => {
    throw new Error(DEFECT);
  };
  return { requests: fail, value: fail };
};

/** fraud-detector's target with a defect in its step change to 50%: a TypeError. */
const defectiveStep = (model: ModelConfig): Target => {
  const target = targetFor(model);
  if (model.name !== 'fraud-detector') return target;
  return Object.create(target, {
    write: {
      value: async (desired: TrafficState) => {
        if (desired.canary?.weight === 50) throw new TypeError(DEFECT);
        await target.write(desired);
      },
    },
  });
};

const DEFECTS = [
  ['a look at the metrics throws a plain Error', { metrics: defectiveLook }],
  ['the step change throws a TypeError', { target: defectiveStep }],
] as const;

describe.each(STORES)('a schedule tick meeting a defect on one model, its state %s', (_, inFile) => {
  beforeEach(async () => {
    ledgerFile = inFile
      ? join(await mkdtemp(join(tmpdir(), 'model-gate-defect-')), 'ledger.json')
      : undefined;
    clock = new FakeClock(Date.now());
    pr++;
    github.setPullRequest(pr, { baseSha: sha(1), headSha: sha(2), files: [] });
    for (const model of MODELS)
      await requestJson('PUT', `${sandbox.url}/admin/models/${model}/traffic`, { stable: { version: 'v1' } });
    // The PR's job deploys both candidates at 10% and leaves them to the ticks.
    const { ports, publish } = job(prEvent('opened'));
    await publish(
      await handlePullRequest(config, prEvent('opened'), ports, {
        mode: 'tick',
        maxWaitMs: 0,
        dryRun: false,
      }),
    );
    for (const model of MODELS)
      expect(await serving(model)).toEqual({
        stable: { version: 'v1' },
        canary: { version: 'v2', weight: 10 },
      });
    clock.advance(20_000);
  });

  afterEach(async () => {
    // Frees the canary slots the PR holds: GitHub's deployments outlive the test.
    const { ports, publish } = job(prEvent('closed'));
    await publish(
      await handlePullRequest(config, prEvent('closed'), ports, {
        mode: 'tick',
        maxWaitMs: 0,
        dryRun: false,
      }),
    );
  });

  it.each(DEFECTS)(
    '%s: that release ends with its candidate withdrawn, the other model is driven, and the run fails',
    async (_, defect) => {
      const warnings: string[] = [];
      await expect(scheduleTick({ ...defect, warnings })).rejects.toThrow(DEFECT);

      // fraud-detector: v1 alone serves, and the record, ended, says why.
      expect(await serving('fraud-detector')).toEqual({ stable: { version: 'v1' } });
      // Its end was recorded before the withdrawal was asked for: a run lost in between leaves it for the next.
      expect(atWithdrawal).toMatchObject({ status: 'aborted', withdrawPending: true });
      const stopped = await recorded('fraud-detector');
      expect(stopped).toMatchObject({
        status: 'aborted',
        reason: `${STOPPED}; v2 withdrawn; please report it`,
      });
      expect(stopped?.withdrawPending).toBeUndefined();
      expect(stopped?.phases.at(-1)).toMatchObject({ outcome: 'withdrawn' });
      expect(warnings).toEqual([`fraud-detector: ${STOPPED}; v2 withdrawn; please report it`]);
      // churn, after it in the config: its tick passed step 1 and moved it to 50%.
      expect(await serving('churn')).toEqual({
        stable: { version: 'v1' },
        canary: { version: 'v2', weight: 50 },
      });
      expect(await recorded('churn')).toMatchObject({ status: 'analysing', phase: 1 });
      if (!inFile) {
        // Written as the run went, though it stopped before its final report.
        const body = comment() ?? '';
        expect(body).toContain(
          '- fraud-detector v2 was withdrawn: model-gate stopped on an unexpected error: cannot read the series for token \\*\\*\\*: a bug; v2 withdrawn; please report it',
        );
        expect(body).toContain('step 2 of 2 (50% of live traffic)');
        expect(body).not.toContain(SECRET);
        expect(body).not.toContain('may still get live traffic');
      }

      // The next tick no longer stops: fraud-detector's release has ended, churn goes on.
      clock.advance(20_000);
      const next = await scheduleTick(defect);
      expect(next.releases).toMatchObject([{ model: 'churn', status: 'ready' }]);
      expect(await serving('fraud-detector')).toEqual({ stable: { version: 'v1' } });
    },
  );

  it('a defect whose withdrawal the platform refuses: the end is recorded with the withdrawal pending, and the next tick takes the candidate out', async () => {
    // The defect at the step change, and every traffic change of fraud-detector refused after it.
    let refusing = false;
    const refusingAfterDefect = (model: ModelConfig): Target => {
      const target = targetFor(model);
      if (model.name !== 'fraud-detector') return target;
      return Object.create(target, {
        write: {
          value: async () => {
            if (refusing) throw new TargetError('sandbox: platform unavailable');
            refusing = true;
            throw new TypeError(DEFECT);
          },
        },
      });
    };
    await expect(scheduleTick({ target: refusingAfterDefect })).rejects.toThrow(DEFECT);
    expect(await serving('fraud-detector')).toMatchObject({ canary: { version: 'v2', weight: 10 } });
    const pending = await recorded('fraud-detector');
    expect(pending).toMatchObject({
      status: 'aborted',
      withdrawPending: true,
      reason: `${STOPPED}; v2 withdrawn; please report it; withdrawing v2 failed: sandbox: platform unavailable`,
    });
    if (!inFile) expect(comment()).toContain('may still get live traffic');

    // The platform answers again: the next tick withdraws v2 and does not stop.
    clock.advance(20_000);
    await scheduleTick();
    expect(await serving('fraud-detector')).toEqual({ stable: { version: 'v1' } });
    const done = await recorded('fraud-detector');
    expect(done?.withdrawPending).toBeUndefined();
    expect(done?.reason).toContain('v2 withdrawn on a later try');
  });
});
