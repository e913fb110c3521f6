import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { requestJson } from '../../src/core/http-json.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// Blue-green's rollback-window: blue stays deployed without traffic after a promotion, and the
// first schedule tick after the window leaves green alone. On the real sandbox (where a version is
// deployed or not, and a direct request tells which) with a local ledger, and once with GitHub as
// the ledger; a fake clock runs the window.
const MODEL = 'fraud-detector';
const HOUR = 3_600_000;
const YAML = `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: { type: blue-green, bake-duration: 10m, rollback-window: 1h, min-requests: 100, interval: 30s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

let sandbox: Sandbox;
let github: FakeGitHub;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  github = await startFakeGitHub(repo);
});
afterAll(async () => {
  await sandbox?.close();
  expect(github?.violations).toEqual([]);
  await github?.close();
});

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const admin = () => `${sandbox.url}/admin/models/${MODEL}/traffic`;
const served = async () => (await requestJson('GET', admin())).body;
/** The HTTP status of a request straight to `version`: 404 when the sandbox has it not deployed. */
const direct = async (version: string) =>
  (
    await requestJson('POST', `${sandbox.url}/models/${MODEL}/versions/${version}/predict`, {
      features: [0.1, 0.2, 0.3, 0.4],
    })
  ).status;

/** A model's world: the config, a fake clock, a ledger, and every write to its target. */
async function world(opts: { ledger?: (clock: FakeClock) => Ledger; target?: Target } = {}) {
  await requestJson('PUT', admin(), { stable: { version: 'v1' } });
  const { config } = parseConfig(YAML, { SANDBOX_URL: sandbox.url });
  const clock = new FakeClock(Date.now());
  const path = join(await mkdtemp(join(tmpdir(), 'model-gate-window-')), 'ledger.json');
  const ledger = opts.ledger?.(clock) ?? fileLedger(path);
  const files: Record<string, Record<string, string>> = {};
  const writes: TrafficState[] = [];
  const counted = (model: ModelConfig): Target => {
    const inner = opts.target ?? targetFor(model);
    return {
      description: inner.description,
      read: () => inner.read(),
      write: (t) => {
        writes.push(t);
        return inner.write(t);
      },
    };
  };
  const logs: string[] = [];
  const ports: Ports = {
    ledger,
    reader: memoryFileReader(files),
    clock,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    targetFor: counted,
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': 0.005 } },
      }),
  };
  const run = { mode: 'watch' as const, maxWaitMs: HOUR, dryRun: false };
  let commits = 0;
  /** A PR moving the model from `from` to `to`, analysed until it is ready to merge. */
  async function ready(number: number, from: string, to: string) {
    files[sha(++commits)] = { 'model.yaml': `version: ${from}\n` };
    files[sha(++commits)] = { 'model.yaml': `version: ${to}\n` };
    const event = {
      action: 'opened',
      number,
      baseSha: sha(commits - 1),
      headSha: sha(commits),
      merged: false,
    };
    expect((await handlePullRequest(config, event, ports, run)).releases[0]?.status).toBe('ready');
    return event;
  }
  async function merge(event: Awaited<ReturnType<typeof ready>>) {
    const merged = await handlePullRequest(config, { ...event, action: 'closed', merged: true }, ports, run);
    expect(merged.releases[0]?.status).toBe('promoted');
  }
  async function tick(dryRun = false) {
    writes.length = 0;
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun });
    return renderMarkdown(config, result, { now: clock.now() });
  }
  async function rollback() {
    writes.length = 0;
    const inputs = { model: MODEL, dryRun: false, trigger: 'workflow_dispatch' };
    return handleCommand(config, 'rollback', inputs, ports);
  }
  return { config: config as Config, clock, ports, writes, logs, ready, merge, tick, rollback };
}

const RETIRED = `- ${MODEL}: blue v1 retired (rollback-window 1h over): v2 alone is deployed; a rollback to v1 deploys it again`;

describe('blue-green rollback-window', () => {
  it('keeps blue deployed without traffic through the window, retires it at the first tick after, once', async () => {
    const w = await world();
    await w.merge(await w.ready(2, 'v1', 'v2'));
    expect(await served()).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
    expect(await direct('v1')).toBe(200);

    w.clock.advance(59 * 60_000);
    const inside = await w.tick();
    expect(w.writes).toEqual([]);
    expect(await served()).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
    expect(await direct('v1')).toBe(200);
    expect(inside).not.toContain('blue');
    expect(w.logs).toContain(`${MODEL}: blue v1 kept for a rollback for another 1m (rollback-window 1h)`);

    w.clock.advance(60_000);
    expect((await w.tick(true)).split('\n')).toContain(
      `- ${MODEL}: would retire blue v1 (rollback-window 1h over): v2 alone deployed`,
    );
    expect(w.writes).toEqual([]);
    expect(await direct('v1')).toBe(200);
    const after = await w.tick();
    expect(w.writes).toEqual([{ stable: { version: 'v2' } }]);
    expect(await served()).toEqual({ stable: { version: 'v2' } });
    expect(await direct('v1')).toBe(404);
    expect(after.split('\n')).toContain(RETIRED);

    // Idempotent: nothing left to retire, nothing written or said.
    w.clock.advance(HOUR);
    const again = await w.tick();
    expect(w.writes).toEqual([]);
    expect(again).not.toContain('blue');
    expect(await served()).toEqual({ stable: { version: 'v2' } });
  });

  it('rolls back in one call inside the window, and in one call after it, deploying blue again', async () => {
    const inside = await world();
    await inside.merge(await inside.ready(2, 'v1', 'v2'));
    inside.clock.advance(30 * 60_000);
    expect((await inside.rollback()).rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    expect(inside.writes).toEqual([{ stable: { version: 'v1' } }]);
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    // A rollback is the ledger's last word: no blue is kept, so no tick retires anything.
    inside.clock.advance(2 * HOUR);
    expect(await inside.tick()).not.toContain('blue');
    expect(inside.writes).toEqual([]);

    const after = await world();
    await after.merge(await after.ready(2, 'v1', 'v2'));
    after.clock.advance(2 * HOUR);
    expect((await after.tick()).split('\n')).toContain(RETIRED);
    expect(await direct('v1')).toBe(404);
    expect((await after.rollback()).rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    expect(after.writes).toEqual([{ stable: { version: 'v1' } }]);
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    expect(await direct('v1')).toBe(200);
  });

  it('never touches a model whose canary slot a PR holds; retires the next blue after its promotion', async () => {
    const w = await world();
    await w.merge(await w.ready(2, 'v1', 'v2'));
    const pr3 = await w.ready(3, 'v2', 'v3');
    const idle = { stable: { version: 'v2' }, canary: { version: 'v3', weight: 0 } };
    expect(await served()).toEqual(idle);

    w.clock.advance(2 * HOUR);
    expect(await w.tick()).not.toContain('blue');
    expect(w.writes).toEqual([]);
    expect(await served()).toEqual(idle);

    await w.merge(pr3);
    expect(await served()).toEqual({ stable: { version: 'v3' }, canary: { version: 'v2', weight: 0 } });
    w.clock.advance(HOUR);
    expect(await w.tick()).toContain(
      `- ${MODEL}: blue v2 retired (rollback-window 1h over): v3 alone is deployed`,
    );
    expect(await served()).toEqual({ stable: { version: 'v3' } });
  });

  it('leaves a target that serves something else than the promotion left, and says so', async () => {
    const w = await world();
    await w.merge(await w.ready(2, 'v1', 'v2'));
    w.clock.advance(2 * HOUR);
    const where = `sandbox ${MODEL} at ${sandbox.url}`;
    const kept =
      'not v2 with v1 kept as the promotion left it; someone changed it, so model-gate leaves it as it is';

    // Someone deployed v3 beside v2, without traffic.
    const byHand = { stable: { version: 'v2' }, canary: { version: 'v3', weight: 0 } };
    await requestJson('PUT', admin(), byHand);
    expect((await w.tick()).split('\n')).toContain(
      `- ${MODEL}: blue v1 not retired: ${where} serves v2 100% with v3 deployed without traffic, ${kept}`,
    );
    expect(w.writes).toEqual([]);
    expect(await served()).toEqual(byHand);

    // Someone put v3 in v2's place.
    await requestJson('PUT', admin(), { stable: { version: 'v3' } });
    expect((await w.tick()).split('\n')).toContain(
      `- ${MODEL}: blue v1 not retired: ${where} serves v3 100%, ${kept}`,
    );
    expect(w.writes).toEqual([]);
    expect(await served()).toEqual({ stable: { version: 'v3' } });
  });

  it('reads the promotion time from the Deployment on GitHub, and retires blue a window after it', async () => {
    const target = new MemoryTarget({ stable: { version: 'v1' } });
    // Octokit without gitHubClient's throttling, whose second between writes is not under test.
    const client = getOctokit('ghs_x', { baseUrl: github.url });
    // The PR's jobs share one ledger (the state a merge job reads from the comment stays in it);
    // the schedule tick's ledger is another, as a job of its own builds it.
    let prLedger: GitHubLedger | undefined;
    let tickLedger: GitHubLedger | undefined;
    const w = await world({
      target,
      ledger: (clock) => {
        prLedger = new GitHubLedger({ client, repo, sha: sha(2), pr: 2, clock });
        tickLedger = new GitHubLedger({ client, repo, sha: sha(999), clock });
        return prLedger;
      },
    });
    github.setPullRequest(2, { baseSha: sha(1), headSha: sha(2), files: [] });
    await w.merge(await w.ready(2, 'v1', 'v2'));
    expect(target.state).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
    if (!tickLedger) throw new Error('no ledger');
    w.ports.ledger = tickLedger;

    // GitHub stamped the Deployment when the merge job made it, by real time; the runner's clock had
    // run the 10m bake by then. The two windows end that far apart: a tick between them tells which
    // time the engine counts from.
    const onRunner = w.clock.now();
    const onGitHub = (await tickLedger.history(MODEL)).at(-1)?.at ?? Number.NaN;
    expect(onRunner - onGitHub).toBeGreaterThan(5 * 60_000);

    // Inside the window, whichever clock counts it.
    w.clock.advance(30 * 60_000);
    expect(await w.tick()).not.toContain('blue');
    expect(target.state).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });

    // Over by the Deployment's time, minutes left by the runner's: the Deployment's counts.
    w.clock.advance(onGitHub + HOUR + (onRunner - onGitHub) / 2 - w.clock.now());
    expect((await w.tick()).split('\n')).toContain(RETIRED);
    expect(target.state).toEqual({ stable: { version: 'v2' } });
  });
});
