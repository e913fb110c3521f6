import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBody } from '../../src/github/sticky-comment.js';
import type { Release } from '../../src/release/types.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import {
  fraudHistory,
  fraudPromotedTwice,
  fraudServing,
  runMainStep,
  startFraudWorld,
} from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';
import {
  fraudBehindPassThrough,
  type PlatformHook,
  platformPassThrough,
  workspaceWith,
} from '../support/platform-pass-through.js';

// A workflow_dispatch rollback (no to-version) whose runner is lost after the platform switched to
// the previous stable but before the ledger recorded it: v2 serves, the ledger still says v3. The
// operator re-runs the job with the same inputs. It used to roll back once more (v2 -> v1, exit 0);
// now it records the rollback v3 -> v2 that landed, changes no traffic, and says so. The first run
// is the main step from src/ as its own process, SIGKILLed while it reads the platform back; the
// platform a real sandbox behind a pass-through; the ledger the GitHub stand-in (Deployments, PR
// comments), on which PRs #2 and #3 promoted v2, then v3.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';
const CONFIG = fraudBehindPassThrough(FILE, '{ type: canary, steps: [10, 50] }');
const NOTE =
  "v2 already serves, though the ledger's last entry leaves v3 serving (a rollback whose run stopped before recording it, or a change by hand): the rollback v3 -> v2 is recorded now, and no traffic changed";

let sandbox: Sandbox;
let github: FakeGitHub;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let workspace: string;
/** What the pass-through does with each request; undefined: passes it on. */
let hook: PlatformHook | undefined;
/** Traffic changes (PUTs) the platform was asked for. */
let changes: unknown[] = [];

beforeEach(async () => {
  ({ sandbox, github } = await startFraudWorld('v3'));
  hook = undefined;
  changes = [];
  platform = await platformPassThrough(sandbox.url, (request, forward) => {
    if (request.method === 'PUT') changes.push(request.body);
    return hook ? hook(request, forward) : forward();
  });
  workspace = await workspaceWith(CONFIG, 'model-gate-lost-rollback-');
  // What PRs #2 and #3 left on record: v1 -> v2 -> v3.
  await fraudPromotedTwice(github);
});

afterEach(async () => {
  expect(github?.violations).toEqual([]);
  await platform?.close();
  await sandbox?.close();
  await github?.close();
});

const env = () => ({
  SANDBOX_URL: sandbox.url,
  PLATFORM_URL: platform.url,
  GITHUB_SHA: sha(1),
  MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
});
const inputs = { command: 'rollback', model: MODEL };

/** The dispatch rollback as its own process, SIGKILLed once the platform made its first traffic change. */
async function rollbackLostAfterChange() {
  let kill: (s: NodeJS.Signals) => void = () => {};
  let changed = false;
  hook = async ({ method }, forward) => {
    if (method === 'PUT') {
      changed = true;
      return forward();
    }
    if (!changed) return forward();
    // The read-back of the change: the runner is lost.
    kill('SIGKILL');
    return undefined;
  };
  const lost = await runStep('index.js', {
    workspace,
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(inputs),
    env: { ...env(), GITHUB_API_URL: github.url, GITHUB_RUN_ID: '5001' },
    inputs: { 'github-token': 'ghs_fake_token', ledger: 'github', ...inputs },
    fromSource: true,
    onSpawn: (k) => {
      kill = k;
    },
  });
  expect(lost.signal).toBe('SIGKILL');
  hook = undefined;
  changes = [];
}

/** The operator's re-run of the same job, from src/ in this process. */
const rerun = () =>
  runMainStep({
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(inputs),
    inputs: { ledger: 'github', ...inputs },
    config: CONFIG,
    githubUrl: github.url,
    env: { ...env(), GITHUB_RUN_ID: '5002' },
  });

/** The model's ledger history, oldest first, as its Deployments record it. */
const history = () => fraudHistory(github);

const comment = (pr: number) =>
  github.comments(pr).find((c) => c.body.startsWith('<!-- model-gate report -->'))?.body ?? '';

describe('a dispatch rollback re-run after its runner was lost between the traffic change and its record', () => {
  it('records the rollback v3 -> v2 that landed, changes no traffic, and says so, rather than rolling back to v1', async () => {
    await rollbackLostAfterChange();
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
    expect(await history()).toEqual(['promotion v1->v2', 'promotion v2->v3']);

    const run = await rerun();
    expect([run.error, run.exitCode ?? 0, run.outputs.decision]).toEqual([undefined, 0, 'rolled-back']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
    expect(changes).toEqual([]);
    expect(run.log).not.toContain('now serves v1');
    expect(run.log).toContain(
      `${MODEL} now serves v2 (was v3): rolled back by @octocat via workflow_dispatch`,
    );
    expect(run.log).toContain(`\n  ${MODEL}: ${NOTE}\n`);
    expect(await history()).toEqual(['promotion v1->v2', 'promotion v2->v3', 'rollback v3->v2']);
    // PR #3 brought in the version rolled back from, and hears of it, as from the lost run.
    expect(
      github
        .comments(3)
        .map((c) => c.body)
        .join('\n'),
    ).toContain('v3 was rolled back to v2');

    // Another re-run goes on from the record, which has v3 rolled back to v2 seconds ago: it stays
    // there, as a second click does, rather than going on to v1.
    const next = await rerun();
    expect([next.error, next.outputs.decision]).toEqual([undefined, 'skipped']);
    expect(next.log).toMatch(/v3 was rolled back to v2 by [^;]*workflow_dispatch \d+s ago; nothing changed/);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
    expect(changes).toEqual([]);
  }, 60_000);

  it('with a release in flight: settles its withdrawal on record and records the rollback, changing no traffic', async () => {
    // PR #21 takes v3 to v4: one pass of its job puts v4 on 10% of the traffic.
    const shas = { base: sha(210), head: sha(211) };
    github.setFile(shas.base, FILE, 'version: v3\n');
    github.setFile(shas.head, FILE, 'version: v4\n');
    github.setPullRequest(21, {
      ...{ baseSha: shas.base, headSha: shas.head },
      files: [{ filename: FILE, status: 'modified' }],
    });
    const opened = await runMainStep({
      eventName: 'pull_request',
      event: pullRequestEvent('opened', shas, { number: 21 }),
      inputs: { ledger: 'github', mode: 'tick' },
      config: CONFIG,
      githubUrl: github.url,
      env: { ...env(), GITHUB_RUN_ID: '5000' },
    });
    expect(opened.outputs.decision).toBe('analysing');
    changes = [];

    // The rollback records v4's end first, then its one change (v2 alone) lands: its runner is lost.
    await rollbackLostAfterChange();
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
    const recorded = () =>
      (readBody(comment(21)).data as { releases: Record<string, Release> } | undefined)?.releases[MODEL];
    expect(recorded()).toMatchObject({ status: 'aborted', withdrawPending: true, ending: { serves: 'v2' } });

    const run = await rerun();
    expect([run.error, run.exitCode ?? 0, run.outputs.decision]).toEqual([undefined, 0, 'rolled-back']);
    expect(await fraudServing(sandbox)).toEqual({ stable: { version: 'v2' } });
    expect(changes).toEqual([]);
    expect(run.log).not.toContain('now serves v1');
    expect(run.log).toContain(`\n  ${MODEL}: ${NOTE}\n`);
    expect(await history()).toEqual(['promotion v1->v2', 'promotion v2->v3', 'rollback v3->v2']);
    expect(recorded()).toMatchObject({ status: 'aborted' });
    expect(recorded()?.withdrawPending).toBeUndefined();
    expect(comment(21)).not.toContain('being withdrawn');
    expect(comment(21)).not.toContain('may still get live traffic');
  }, 60_000);
});
