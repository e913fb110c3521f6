import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type RunResult } from '../../src/release/pull-request.js';
import { runSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { OPENED, REPO } from '../support/comment-owner-world.js';
import { enginePorts } from '../support/engine-ports.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { MemoryTarget } from '../support/memory-target.js';
import { sha } from '../support/model-config.js';

// A PR's comment says what the PR changes of its own release config (config-change-note.ts). The
// release's record keeps it, so every report of the release says it once: a PR job's progress
// writes in watch mode, and the schedule ticks that take over a PR job that made one pass and
// rewrite the comment up to "Ready to merge". PR #1 moves fraud from v1 (base sha(2)) to v2 (head
// sha(3)) on the GitHub stand-in, loosening its errors gate, the candidate healthy.

const CONFIG_FILE = '.github/model-gate.yml';
const fraudYaml = (max: number) => `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: ${max} }
`;
const HEAD_CONFIG = fraudYaml(0.5);
const config = parseConfig(HEAD_CONFIG, {}).config;
const FILES = {
  [sha(2)]: { 'fraud.yaml': 'version: v1\n', [CONFIG_FILE]: fraudYaml(0.02) },
  [sha(3)]: { 'fraud.yaml': 'version: v2\n', [CONFIG_FILE]: HEAD_CONFIG },
};
const LOOSENED = 'fraud: this PR changes its release config: gate "errors" max 0.02 → 0.5';
/** The same, in a report other than PR #1's comment (a tick's job summary, the CLI's). */
const LOOSENED_BY_PR_1 = 'fraud: PR #1 changes its release config: gate "errors" max 0.02 → 0.5';

let github: FakeGitHub;
let target: MemoryTarget;
let clock: FakeClock;
let runId = 300;
beforeEach(async () => {
  github = await startFakeGitHub(REPO);
  github.setPullRequest(1, {
    baseSha: sha(2),
    headSha: sha(3),
    files: [
      { filename: 'fraud.yaml', status: 'modified' },
      { filename: CONFIG_FILE, status: 'modified' },
    ],
  });
  target = new MemoryTarget({ stable: { version: 'v1' } });
  clock = new FakeClock(Date.now());
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/**
 * One job as the action runs it: the ledger PR comments on the stand-in, written on each progress
 * report (each body kept in `bodies`) and at the end. `pr`: its PR (none: a schedule tick).
 */
function job(pr?: number) {
  const client = gitHubClient({ token: 'ghs_x', baseUrl: github.url, warn: () => {}, waitScale: 0.001 });
  const models = Object.keys(config.models);
  const ledger = new GitHubLedger({ client, repo: REPO, sha: sha(pr ? 3 : 999), pr, clock, models });
  const render = (r: RunResult, compact: boolean) =>
    renderMarkdown(config, r, { now: clock.now(), compact, prComment: true });
  const publisher = new CommentPublisher(ledger, render, { runId: ++runId, attempt: 1 }, clock, {
    settleMs: 0,
  });
  const bodies: string[] = [];
  const infos: string[] = [];
  const ports: Ports = {
    ...enginePorts({ ledger, files: FILES, clock, target }),
    log: { info: (m) => infos.push(m), warn: () => {} },
    touchedFiles: async () => new Set([CONFIG_FILE, 'fraud.yaml']),
    onProgress: async (_, progress) => {
      await publisher.publish(progress);
      bodies.push(comment());
    },
  };
  const publish = async (result: RunResult) => {
    const notes = new Map(pr === undefined ? [] : [[pr, result.skipped]]);
    await publisher.publish({ final: true, notes });
    return result;
  };
  return { ports, publish, bodies, infos };
}

/** The PR comment as a reader sees it, the report's escapes undone. */
const comment = () => (github.comments(1).at(-1)?.body ?? '').replaceAll('\\', '');
const times = (text: string, part: string) => text.split(part).length - 1;

describe("a PR that changes its own release config, its release's later reports", () => {
  it('schedule ticks rewriting the comment up to "Ready to merge" still say it, once', async () => {
    // The PR's job makes one pass (mode: tick): it deploys v2 and leaves the release to the ticks.
    const pr = job(1);
    const opts = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
    const opened = await pr.publish(await handlePullRequest(config, OPENED, pr.ports, opts));
    expect(opened.releases.map((r) => r.status)).toEqual(['analysing']);
    expect(times(comment(), `- ${LOOSENED}\n`)).toBe(1);

    let ticked: RunResult | undefined;
    for (let i = 0; i < 20 && ticked?.releases[0]?.status !== 'ready'; i++) {
      clock.advance(60_000);
      const tick = job();
      ticked = await tick.publish(await runSchedule(config, tick.ports, { mode: 'tick', maxWaitMs: 0 }));
      // Each tick's write of the comment, its lines its own.
      expect(times(comment(), `- ${LOOSENED}\n`)).toBe(1);
    }
    expect(comment()).toContain('## model-gate: ✅ Ready to merge');
    expect(comment()).toContain('- fraud v2 passed every gate and is ready to merge\n');
    // The tick's job summary and the CLI's report of it too, naming the PR.
    if (!ticked) throw new Error('no tick ran');
    expect(renderMarkdown(config, ticked, { now: clock.now() }).replaceAll('\\', '')).toContain(
      `- ${LOOSENED_BY_PR_1}\n`,
    );
    expect(renderTerminal(config, ticked, clock.now())).toContain(`  ${LOOSENED_BY_PR_1}\n`);
  });

  it("a watch's progress writes say it from the first, and the comment says it once", async () => {
    const pr = job(1);
    const opts = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
    const result = await pr.publish(await handlePullRequest(config, OPENED, pr.ports, opts));
    expect(result.releases.map((r) => r.status)).toEqual(['ready']);
    expect(pr.bodies.length).toBeGreaterThan(2);
    for (const body of pr.bodies) expect(body).toContain(`- ${LOOSENED}\n`);
    expect(times(comment(), LOOSENED)).toBe(1);
  });
});

describe('a checkout in a subfolder of the workspace (actions/checkout path: repo)', () => {
  it("measures the config's path from the checkout's top, and says it changed", async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'model-gate-workspace-'));
    await mkdir(join(workspace, 'repo', '.git'), { recursive: true });
    await mkdir(join(workspace, 'repo', '.github'));
    await writeFile(join(workspace, 'repo', CONFIG_FILE), HEAD_CONFIG);
    vi.stubEnv('GITHUB_WORKSPACE', workspace);
    try {
      const pr = job(1);
      // The `config` input as such a workflow gives it: relative to the workspace.
      const opts = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false, config: `repo/${CONFIG_FILE}` };
      const opened = await pr.publish(await handlePullRequest(config, OPENED, pr.ports, opts));
      expect(opened.skipped.map((s) => `${s.model}: ${s.why}`)).toEqual([LOOSENED]);
      expect(comment()).toContain(`- ${LOOSENED}\n`);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('says in the log when the config file is in no checkout of the repository', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'model-gate-workspace-'));
    const elsewhere = await mkdtemp(join(tmpdir(), 'model-gate-elsewhere-'));
    vi.stubEnv('GITHUB_WORKSPACE', workspace);
    try {
      const pr = job(1);
      const opts = {
        mode: 'tick' as const,
        maxWaitMs: 0,
        dryRun: false,
        config: join(elsewhere, 'gate.yml'),
      };
      const opened = await pr.publish(await handlePullRequest(config, OPENED, pr.ports, opts));
      expect(opened.skipped).toEqual([]);
      expect(pr.infos).toContain(
        `${join(elsewhere, 'gate.yml')}: the config file is outside the repository (no folder above it holds .git, and it is not in the workspace ${workspace}), so the report does not say whether the PR changes its release config`,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
