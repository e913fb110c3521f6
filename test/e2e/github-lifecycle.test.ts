import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../../src/sandbox/traffic.js';
import { runStep, type StepRun } from '../support/actions-runner.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { startHoldingProxy } from '../support/holding-proxy.js';
import { pullRequestEvent, workflowDispatchEvent } from '../support/payloads.js';

// The bundled action through a whole PR lifecycle against a GitHub stand-in that checks
// every request and response against GitHub's OpenAPI description, and a live sandbox.
const MODEL = 'fraud-detector';
const FILE = 'models/fraud-detector/model.yaml';
const ENV = `model-gate/${MODEL}`;
// One gate, on errors. No latency gate: the sandbox times each request in this test's own process,
// which also sends the traffic and serves the GitHub stand-in, so on a loaded machine its stalls
// land on a few dozen requests of either slot: v2, as fast as v1, read a p95 2.4 times v1's and was
// rolled back. Errors are the model's own (a feature over a bound), whatever the load.
const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  ${MODEL}:
    source: { file: ${FILE}, key: version }
    strategy: { type: canary, steps: [5, 10, 25, 50], step-duration: 30s, min-requests: 40, interval: 250ms }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.05 }
`;

let sandbox: Sandbox;
let traffic: TrafficGenerator;
let github: FakeGitHub;
let workspace: string;

const sha = (n: number) => n.toString(16).padStart(40, 'a');
const serving = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;
const canaryDeployments = () => github.deployments(ENV).filter((d) => d.task === 'model-gate:canary');
const serveDeployments = () => github.deployments(ENV).filter((d) => d.task === 'deploy');
const waiting = () => github.deployments(ENV).filter((d) => d.task === 'model-gate:waiting');
const latest = (d: { statuses: { state: string }[] }) => d.statuses.at(-1)?.state;
const ourComments = (pr: number) =>
  github.comments(pr).filter((c) => c.body.startsWith('<!-- model-gate report -->'));

/** A PR whose version file moves from `from` (at base) to `to` (at head). */
function openPr(number: number, base: number, head: number, from: string, to: string) {
  github.setFile(sha(base), FILE, `version: ${from}\n`);
  github.setFile(sha(head), FILE, `version: ${to}\n`);
  github.setPullRequest(number, {
    baseSha: sha(base),
    headSha: sha(head),
    files: [{ filename: FILE, status: 'modified' }],
  });
  return { base: sha(base), head: sha(head) };
}

function action(
  eventName: string,
  event: unknown,
  extra: {
    inputs?: Record<string, string>;
    state?: Record<string, string>;
    runId?: number;
    /** A re-run of the same run: GitHub's GITHUB_RUN_ATTEMPT. */
    attempt?: number;
    onSpawn?: (kill: (s: NodeJS.Signals) => void) => void;
  } = {},
  script: 'index.js' | 'post.js' = 'index.js',
): Promise<StepRun> {
  const runId = extra.runId ?? 100;
  github.startRun(runId);
  return runStep(script, {
    workspace,
    eventName,
    event,
    env: {
      SANDBOX_URL: sandbox.url,
      GITHUB_API_URL: github.url,
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: String(extra.attempt ?? 1),
    },
    inputs: { 'github-token': 'ghs_fake_token_123', 'max-wait': '2m', ...extra.inputs },
    state: extra.state,
    onSpawn: extra.onSpawn,
  }).finally(() => github.endRun(runId));
}

/** Kill the step once the candidate has live traffic. */
const killWhenLive = (onKilled: () => void) => (kill: (s: NodeJS.Signals) => void) => {
  const poll = setInterval(async () => {
    const t = (await serving()) as { canary?: { weight: number } };
    if ((t.canary?.weight ?? 0) > 0) {
      clearInterval(poll);
      onKilled();
      kill('SIGTERM');
    }
  }, 25);
};

beforeAll(async () => {
  sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 4,
  });
  // 20 requests a second at 5%: the first step's min-requests (40) in about 2 s (4 s at 200 rps).
  traffic = startTraffic({ url: sandbox.url, model: MODEL, rps: 400, seed: 8 });
  github = await startFakeGitHub({ owner: 'Codertocat', repo: 'Hello-World' });
  workspace = await mkdtemp(join(tmpdir(), 'model-gate-gh-'));
  await mkdir(join(workspace, '.github'));
  await writeFile(join(workspace, '.github', 'model-gate.yml'), CONFIG);
});

afterAll(async () => {
  await traffic?.stop();
  await sandbox?.close();
  await github?.close();
});

// Each test runs the bundle through whole analyses (four steps of 40 candidate requests): on a
// loaded 2-core machine one took 30 s, the default limit.
describe('a pull request lifecycle on GitHub', { timeout: 120_000 }, () => {
  const budget = { opened: 0, merged: 0 };
  let pr2: { base: string; head: string };

  it('opened: runs the canary, keeps one comment, sets the commit status and holds the canary slot', async () => {
    pr2 = openPr(2, 1, 2, 'v1', 'v2');
    github.resetRequests();
    const run = await action('pull_request', pullRequestEvent('opened', pr2));
    budget.opened = github.requestCount();
    expect(run.code).toBe(0);
    expect(run.outputs.decision).toBe('ready');
    const comments = ourComments(2);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('## model-gate: ✅ Ready to merge');
    expect(comments[0]?.body).toMatch(/\| errors \(error-rate\) \| [\d.]+% \([\d,]+ req\) \|/);
    expect(run.outputs['comment-url']).toBe(comments[0]?.htmlUrl);
    expect(github.commitStatuses(pr2.head).map((s) => s.state)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
      'success',
      // Posted again once the change to idle is confirmed: its words no longer say it is under way.
      'success',
    ]);
    expect(github.commitStatuses(pr2.head).at(-1)?.description).toContain('serves no live traffic');
    expect(github.commitStatuses(pr2.head).at(-1)?.context).toBe(`model-gate/${MODEL}`);
    expect(canaryDeployments().map(latest)).toEqual(['in_progress']);
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
    // The token is only ever handed to the runner's masker.
    const leaks = run.stdout
      .split('\n')
      .filter((l) => l.includes('ghs_fake_token_123') && !l.startsWith('::add-mask::'));
    expect(leaks).toEqual([]);
  });

  it('synchronize: a new head supersedes the old analysis and restarts it, still one comment', async () => {
    const head = sha(3);
    github.setFile(head, FILE, 'version: v2\n');
    github.setPullRequest(2, {
      baseSha: pr2.base,
      headSha: head,
      files: [{ filename: FILE, status: 'modified' }],
    });
    const before = pr2.head;
    pr2 = { base: pr2.base, head };
    const run = await action('pull_request', pullRequestEvent('synchronize', pr2), { runId: 101 });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`superseded by a new head ${head.slice(0, 7)}`);
    expect(canaryDeployments().map(latest)).toEqual(['inactive', 'in_progress']);
    expect(ourComments(2)).toHaveLength(1);
    // The comment and the job summary say why the analysis started over, not only the step it is at.
    const restarted = `ℹ️ restarted for head ${head.slice(0, 7)}: the analysis of v2 at ${before.slice(0, 7)} (passed, ready to merge) was superseded and its candidate withdrawn`;
    expect(ourComments(2)[0]?.body).toContain(restarted);
    expect(run.summary).toContain(restarted);
    expect(github.commitStatuses(head).at(-1)?.state).toBe('success');
  });

  it('merged: promotes the candidate that passed and records a Deployment', async () => {
    github.resetRequests();
    const run = await action('pull_request', pullRequestEvent('closed', pr2, { merged: true }), {
      runId: 102,
    });
    budget.merged = github.requestCount();
    expect(run.code).toBe(0);
    expect(run.outputs.decision).toBe('promoted');
    expect(await serving()).toEqual({ stable: { version: 'v2' } });
    const [promotion] = serveDeployments();
    expect(promotion).toMatchObject({
      environment: ENV,
      autoMerge: false,
      requiredContexts: [],
      payload: { kind: 'promotion', version: 'v2', previous: 'v1', pr: 2 },
    });
    expect(promotion && latest(promotion)).toBe('success');
    expect(canaryDeployments().map(latest)).toEqual(['inactive', 'inactive']);
    expect(ourComments(2)).toHaveLength(1);
    expect(ourComments(2)[0]?.body).toContain('fraud-detector v2 was promoted (replacing v1)');
    // Once promoted, the restart is no news.
    expect(ourComments(2)[0]?.body).not.toContain('restarted for head');
  });

  // 81 measured: 61 for the analysis, 20 for the merge. Each asks GitHub once where the PR's head
  // branched from its base (a three-dot compare, d57f7b9), so a stale branch is not read as a change;
  // the analysis reads the PR once first, so a re-run of an old event changes nothing (stale-event.ts). A comment read after each of the
  // four steps' traffic changes (8cf53cf) catches a dispatch rollback that landed between this run's check and
  // its change; the pass is recorded before the change to idle (a fresh read of the comment first),
  // then written again once that change is confirmed (pending-idle.ts), its commit status too; so is
  // each of the three switches to the next step (tick.ts passPhase: 4 requests more each), so a job
  // lost between a switch and its save leaves a record the next run enters that step from; the
  // first check after each of the analysis's comment writes (before each step's change, each
  // switch's record, the pass's record and the change to idle) also reads its canary claim's newest Deployment status,
  // so a dispatch rollback that a stale write of the comment took back still stops it (github-ledger
  // claimEnded: read again only once the comment changed, so none after a change);
  // recording a promotion skips
  // one the newest Deployment already records (deployments.ts), so a re-run does not record it twice;
  // the merge job reads the record again right before promoting (8524372), so it does not promote
  // over a tick's promotion or a dispatch rollback made meanwhile; it asks GitHub who its token is
  // (one GraphQL viewer query) to read only its own comment, and checks that the canary claim of the
  // ready release is on record before promoting it (two reads); and reads the record once more
  // after the promotion's traffic change (dde5661), so a rollback landing during it wins; the merge
  // is on record in the comment (a read and a write) before that change (6c3a8d7), so a merge job
  // lost during it leaves the promotion pending for a tick, then the comment and the canary claim are
  // read again (20b1d94), so a rollback recorded during that write wins; and recording the promotion lists the
  // drift Deployments of versions that served with no record, to end them (2da6c28).
  it('stays within the API budget: at most 81 requests for the whole lifecycle of one model', () => {
    console.log(
      `GitHub API requests: opened ${budget.opened}, merged ${budget.merged}, total ${budget.opened + budget.merged}`,
    );
    expect(budget.opened + budget.merged).toBeLessThanOrEqual(81);
  });

  it('workflow_dispatch rollback: one target call, a Deployment, and a note on the PR that introduced the version', async () => {
    const started = Date.now();
    const run = await action('workflow_dispatch', workflowDispatchEvent({}), {
      inputs: { command: 'rollback', model: MODEL },
      runId: 103,
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(`dispatch rollback took ${seconds.toFixed(2)} s of action time`);
    expect(run.code).toBe(0);
    expect(run.outputs.decision).toBe('rolled-back');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    const [promotion, rollback] = serveDeployments();
    expect(rollback).toMatchObject({ payload: { kind: 'rollback', version: 'v1', previous: 'v2' } });
    expect(rollback && latest(rollback)).toBe('success');
    expect(promotion && latest(promotion)).toBe('inactive');
    expect(ourComments(2)).toHaveLength(1);
    expect(ourComments(2)[0]?.body).toContain(
      'v2 was rolled back to v1 by @\u200boctocat via workflow\\_dispatch',
    );
  });

  it('two PRs race for one model: the second is queued, deploys nothing, and its job is re-run once the slot frees', async () => {
    const pr4 = openPr(4, 10, 11, 'v1', 'v2');
    const first = await action('pull_request', pullRequestEvent('opened', pr4, { number: 4 }), {
      runId: 104,
    });
    expect(first.outputs.decision).toBe('ready');
    const pr5 = openPr(5, 10, 12, 'v1', 'v3');
    const opened5 = pullRequestEvent('opened', pr5, { number: 5 });
    const second = await action('pull_request', opened5, { runId: 105 });
    expect(second.code).toBe(0);
    expect(second.outputs.decision).toBe('skipped');
    expect(ourComments(5)[0]?.body).toContain('queued: PR #4 holds the canary slot of fraud-detector');
    expect(await serving()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
    expect(waiting()).toMatchObject([
      { payload: { pr: 5, run: 105, to: 'v3' }, statuses: [{ state: 'queued' }] },
    ]);

    // Without actions: write the re-run is refused: PR #5 keeps waiting and the log says what to do.
    github.allowActionsWrite(false);
    const closed = await action('pull_request', pullRequestEvent('closed', pr4, { number: 4 }), {
      runId: 106,
    });
    expect(closed.outputs.decision).toBe('aborted');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(closed.stdout).toMatch(
      /PR #5, which waited for the canary slot, keeps waiting: the slot is free, but its run 105 could not be re-run \(Resource not accessible by integration.*give the workflow the actions: write permission/,
    );
    expect(github.reruns).toEqual([]);
    expect(waiting()).toHaveLength(1);

    // The next schedule tick, with the permission, re-runs PR #5's job and the queue empties.
    github.allowActionsWrite(true);
    const tick = await action('schedule', { schedule: '*/15 * * * *' }, { runId: 110 });
    expect(tick.code).toBe(0);
    expect(github.reruns).toEqual([105]);
    expect(waiting().map(latest)).toEqual(['in_progress']);

    // GitHub runs the job again (attempt 2, same event): the candidate is analysed and, faulty, rolled back.
    const rerun = await action('pull_request', opened5, { runId: 105, attempt: 2 });
    expect(rerun.outputs.decision).toBe('failed');
    expect(waiting()).toEqual([]);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(ourComments(5)).toHaveLength(1);
    expect(ourComments(5)[0]?.body).not.toContain('queued');
    expect(ourComments(5)[0]?.body).toContain('rolled back');
  });

  it('a cancelled job: the post step withdraws the candidate and the comment and status say so', async () => {
    const pr5 = openPr(5, 10, 13, 'v1', 'v2');
    let killed = false;
    const run = await action('pull_request', pullRequestEvent('synchronize', pr5, { number: 5 }), {
      runId: 107,
      onSpawn: killWhenLive(() => {
        killed = true;
      }),
    });
    expect(killed).toBe(true);
    expect(JSON.parse(run.state.cleanup ?? '')).toEqual([
      { model: MODEL, from: 'v1', to: 'v2', startedAt: expect.any(Number) },
    ]);
    const post = await action(
      'pull_request',
      pullRequestEvent('synchronize', pr5, { number: 5 }),
      { runId: 107, state: run.state },
      'post.js',
    );
    expect(post.code).toBe(0);
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(ourComments(5)).toHaveLength(1);
    expect(ourComments(5)[0]?.body).toContain('withdrawn by the post step');
    expect(github.commitStatuses(pr5.head).at(-1)?.state).toBe('error');
    expect(canaryDeployments().map(latest).at(-1)).toBe('inactive');
  });

  it('a cancelled job while GitHub fails: the post step still withdraws the candidate, and says what it could not update', async () => {
    const pr9 = openPr(9, 50, 51, 'v1', 'v2');
    const event = pullRequestEvent('opened', pr9, { number: 9 });
    const run = await action('pull_request', event, { runId: 115, onSpawn: killWhenLive(() => {}) });
    expect((await serving()) as object).toMatchObject({ canary: { version: 'v2' } });
    // The listing of comments fails, retries included (1 + 3).
    github.failNext('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 502, 4);
    const post = await action('pull_request', event, { runId: 115, state: run.state }, 'post.js');
    expect(post.code).toBe(1);
    expect(post.stdout).toMatch(
      /::error::model-gate post step could not read or write the ledger \(.*\); fraud-detector: v2 withdrawn on the platform; the PR comment and statuses are not updated: re-run the job once GitHub answers/,
    );
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    // Close the PR, for the tests that follow.
    await action('pull_request', pullRequestEvent('closed', pr9, { number: 9 }), { runId: 116 });
  });

  it('a killed job is resumed by the next run without a second deployment', async () => {
    const pr6 = openPr(6, 20, 21, 'v1', 'v2');
    const event = pullRequestEvent('opened', pr6, { number: 6 });
    await action('pull_request', event, { runId: 108, onSpawn: killWhenLive(() => {}) });
    const claims = canaryDeployments().length;
    const rerun = await action('pull_request', event, { runId: 108 });
    expect(rerun.outputs.decision).toBe('ready');
    expect(canaryDeployments()).toHaveLength(claims);
    expect(ourComments(6)).toHaveLength(1);
  });

  it('a rollback by workflow_dispatch while a PR job analyses stays rolled back: the job stops, touching nothing', async () => {
    await action('pull_request', pullRequestEvent('closed', openPr(6, 20, 21, 'v1', 'v2'), { number: 6 }), {
      runId: 111,
    });
    // Steps of at most 6 s: once its candidate has no traffic, the job reaches its next traffic change soon.
    const fast = '.github/model-gate-fast.yml';
    await writeFile(join(workspace, fast), CONFIG.replace('step-duration: 30s', 'step-duration: 6s'));
    // The job reads its metrics through a proxy that holds its looks until the rollback is done: the
    // rollback lands mid-analysis however slow the machine, not in a race with the job's last step
    // (its four steps fill in seconds at 400 rps, while a loaded machine starts the dispatch slowly).
    const proxy = await startHoldingProxy(sandbox.url);
    let lookHeld = false;
    /** Each of the job's metrics requests from now on waits until `done` (one may time out: the next waits too). */
    const holdLooksUntil = (done: Promise<unknown>) => {
      let over = false;
      void done.finally(() => {
        over = true;
      });
      const hold = () =>
        proxy.holdNext(
          () => true,
          async () => {
            lookHeld = true;
            if (!over) hold();
            await done;
          },
        );
      hold();
    };
    const held = '.github/model-gate-held.yml';
    await writeFile(
      join(workspace, held),
      CONFIG.replace('step-duration: 30s', 'step-duration: 6s').replace(
        `metrics: { type: sandbox, url: "\${SANDBOX_URL}" }`,
        `metrics: { type: sandbox, url: "${proxy.url}" }`,
      ),
    );
    const pr8 = openPr(8, 40, 41, 'v1', 'v4');
    let rollback: Promise<StepRun> | undefined;
    const job = await action('pull_request', pullRequestEvent('opened', pr8, { number: 8 }), {
      runId: 112,
      inputs: { config: held },
      onSpawn: () => {
        const poll = setInterval(async () => {
          const t = (await serving()) as { canary?: { weight: number } };
          if ((t.canary?.weight ?? 0) === 0 || rollback) return;
          clearInterval(poll);
          const run = action('workflow_dispatch', workflowDispatchEvent({}), {
            inputs: { command: 'rollback', model: MODEL, 'to-version': 'v2', config: fast },
            runId: 113,
          });
          rollback = run;
          holdLooksUntil(run.catch(() => {}));
        }, 25);
      },
    }).finally(() => proxy.close());
    const dispatched = await rollback;
    expect(lookHeld).toBe(true);
    expect(dispatched?.outputs.decision).toBe('rolled-back');
    // The job ran on until its next traffic change, found the release ended and left it so.
    expect(job.code).toBe(0);
    expect(job.outputs.decision).toBe('aborted');
    expect(job.stdout).toContain('fraud-detector v4 was ended by another run');
    expect(await serving()).toEqual({ stable: { version: 'v2' } });
    expect(serveDeployments().at(-1)).toMatchObject({ payload: { kind: 'rollback', version: 'v2' } });
    expect(ourComments(8)).toHaveLength(1);
    expect(ourComments(8)[0]?.body).toContain('rolled back to v2');
    expect(github.commitStatuses(pr8.head).at(-1)?.state).toBe('error');
    expect(canaryDeployments().map(latest).at(-1)).toBe('inactive');
    // Back to v1 for the tests that follow.
    await action('workflow_dispatch', workflowDispatchEvent({}), {
      inputs: { command: 'rollback', model: MODEL, 'to-version': 'v1' },
      runId: 114,
    });
  });

  it('a GitHub write refused beside a failed gate: the rollback, the comment and the ::error:: still tell the truth', async () => {
    const pr10 = openPr(10, 60, 61, 'v1', 'v3');
    const statuses = '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses';
    const run = await action('pull_request', pullRequestEvent('opened', pr10, { number: 10 }), {
      runId: 117,
      // Once the faulty candidate is live, ending its claim of the slot fails (retries included).
      onSpawn: () => {
        const poll = setInterval(async () => {
          const t = (await serving()) as { canary?: { weight: number } };
          if ((t.canary?.weight ?? 0) === 0) return;
          clearInterval(poll);
          github.failNext('POST', statuses, 500, 4);
        }, 25);
      },
    });
    expect(run.code).toBe(1);
    // v3 errs on 12% of inputs (v1 on 0.2%).
    expect(run.stdout).toMatch(
      /::error::model-gate: fraud-detector v3 was rolled back to v1 in step \d of \d \(\d+%25 of live traffic\): errors: /,
    );
    expect(run.stdout).toMatch(
      /::warning::could not end the canary claim of fraud-detector: GitHub answered 500 to POST http:\/\/127\.0\.0\.1:\d+\/repos\/Codertocat\/Hello-World\/deployments\/\d+\/statuses/,
    );
    expect(run.stdout).not.toContain('unexpected error');
    expect(await serving()).toEqual({ stable: { version: 'v1' } });
    expect(ourComments(10)[0]?.body).toContain('## model-gate: ❌ Rolled back');
    expect(github.commitStatuses(pr10.head).at(-1)?.state).toBe('failure');
  });

  it('a fork PR deploys nothing and its comment says why', async () => {
    const pr7 = openPr(7, 30, 31, 'v1', 'v3');
    const before = await serving();
    const run = await action('pull_request', pullRequestEvent('opened', pr7, { number: 7, fork: true }), {
      runId: 109,
    });
    expect(run.outputs.decision).toBe('skipped');
    expect(ourComments(7)[0]?.body).toContain('comes from a fork');
    expect(await serving()).toEqual(before);
  });

  it('spoke only the documented API', () => {
    expect(github.violations).toEqual([]);
  });
});
