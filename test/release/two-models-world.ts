import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent, type RunResult } from '../../src/release/pull-request.js';
import { runSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { gitHub502 } from '../support/race-world.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// Two models, fraud and churn, each a canary (10%, 50%) on a platform of its own in memory, and a
// ledger in a file (the one `model-gate run` keeps); a healthy candidate, time a fake clock. PR #7
// changes fraud, PR #8 churn, PR #9 both. What a schedule tick does when the config it runs under
// no longer describes one model's candidate, or meets a failure in one model's part.

export const STEP_1 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
export const STEP_2 = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } };
export const IDLE = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } };

/**
 * An in-memory platform that describes itself as `description` (what a release records as the
 * target it was deployed on), recording every write; from write `failFromWrite` on, it refuses.
 */
export class NamedTarget implements Target {
  state: TrafficState = { stable: { version: 'v1' } };
  writes: TrafficState[] = [];
  failFromWrite = Number.POSITIVE_INFINITY;
  constructor(readonly description: string) {}
  async read(): Promise<TrafficState> {
    return structuredClone(this.state);
  }
  async write(desired: TrafficState): Promise<void> {
    if (this.writes.length >= this.failFromWrite) throw new TargetError('platform unavailable');
    this.writes.push(structuredClone(desired));
    this.state = structuredClone(desired);
  }
}

type Model = 'fraud' | 'churn';

/** The config naming `models` (both by default); `fraud`: more of fraud's settings (YAML lines). */
export function configOf(models: Model[] = ['fraud', 'churn'], fraud = ''): Config {
  const model = (name: Model) => `  ${name}:
    source: { file: ${name}.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }${name === 'fraud' ? fraud : ''}
`;
  return parseConfig(
    `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
models:
${models.map(model).join('')}`,
    {},
  ).config;
}

const BASE = sha(1);
export const FILES: Record<string, Record<string, string>> = {
  [BASE]: { 'fraud.yaml': 'version: v1\n', 'churn.yaml': 'version: v1\n' },
  [sha(7)]: { 'fraud.yaml': 'version: v2\n', 'churn.yaml': 'version: v1\n' },
  [sha(8)]: { 'fraud.yaml': 'version: v1\n', 'churn.yaml': 'version: v2\n' },
  [sha(9)]: { 'fraud.yaml': 'version: v2\n', 'churn.yaml': 'version: v2\n' },
};

/** PR `number`'s event (its head: sha(number)). */
export const prEvent = (number: number, action = 'opened', merged = false): PullRequestEvent => ({
  action,
  number,
  baseSha: BASE,
  headSha: sha(number),
  merged,
});

/** The engine's ports over `ledger` (default: a new file ledger), each model on its platform in `platforms`. */
export async function twoModelsWorld(ledger?: Ledger) {
  const path = join(await mkdtemp(join(tmpdir(), 'model-gate-two-models-')), 'ledger.json');
  const file = fileLedger(path);
  const platforms: Record<Model, NamedTarget> = {
    fraud: new NamedTarget('memory target A'),
    churn: new NamedTarget('memory target C'),
  };
  const clock = new FakeClock();
  const warnings: string[] = [];
  const ports: Ports = {
    ledger: ledger ?? file,
    reader: memoryFileReader(FILES),
    clock,
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    targetFor: (model) => platforms[model.name as Model],
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': 0.005 } },
      }),
  };
  const once = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
  /** PR `number`'s job on `action`, one pass, under `config`. */
  const prJob = (config: Config, number: number, action = 'opened', merged = false) =>
    handlePullRequest(config, prEvent(number, action, merged), ports, once);
  /** A schedule tick under `config`: its result and what it fails on at the end. */
  const tick = (config: Config) => runSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
  return { file, ports, platforms, clock, warnings, prJob, tick };
}

/**
 * PR #7 under `config` analysed to ready by two ticks, its change to idle left pending: GitHub fails
 * the read that guards fraud's change to idle whenever fraud's record says ready. `w`'s ledger is
 * the failing one from here; the answering one is returned.
 */
export async function fraudIdlePending(
  w: Awaited<ReturnType<typeof twoModelsWorld>>,
  config: Config,
): Promise<Ledger> {
  const answering = w.ports.ledger;
  w.ports.ledger = {
    ...answering,
    async endedElsewhere(release, fresh) {
      const ready = (await answering.release('fraud'))?.status === 'ready';
      if (fresh && release.model === 'fraud' && ready) throw gitHub502();
      return answering.endedElsewhere?.(release, fresh);
    },
  };
  await w.prJob(config, 7);
  for (let i = 0; i < 2; i++) {
    w.clock.advance(20_000);
    await w.tick(config);
  }
  return answering;
}

export const REPO = { owner: 'Codertocat', repo: 'Hello-World' };
let runId = 700;

/**
 * One job as the action runs it under `config`, on `world`'s platforms: its ledger the PR comments
 * on the GitHub stand-in at `githubUrl`, written on every report and published at its end. `pr`:
 * the PR of its event (none: a schedule tick).
 */
export function gitHubJob(
  world: Awaited<ReturnType<typeof twoModelsWorld>>,
  githubUrl: string,
  config: Config,
  pr?: number,
) {
  const { clock } = world;
  const client = gitHubClient({ token: 'ghs_x', baseUrl: githubUrl, warn: () => {}, waitScale: 0.001 });
  const models = Object.keys(config.models);
  const ledger = new GitHubLedger({ client, repo: REPO, sha: sha(pr ?? 999), pr, clock, models });
  const render = (r: RunResult, compact: boolean) =>
    renderMarkdown(config, r, { now: clock.now(), compact, prComment: true });
  const publisher = new CommentPublisher(ledger, render, { runId: ++runId, attempt: 1 }, clock, {
    settleMs: 0,
  });
  const ports: Ports = { ...world.ports, ledger, onProgress: (_, progress) => publisher.publish(progress) };
  const publish = async (result: RunResult) => {
    const notes = new Map(pr === undefined ? [] : [[pr, result.skipped]]);
    await publisher.publish({ final: true, notes });
    return result;
  };
  return { ports, publish, ledger };
}
