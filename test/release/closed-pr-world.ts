import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { decisionSentences } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import { canaryOnTarget } from '../support/pr-release-world.js';
import { passingErrorRate } from '../support/scripted-metrics.js';
import { completedRun, jobLedger } from '../support/slot-queue-jobs.js';

/**
 * PR #7 moving fraud from v1 to v2 by a canary (10%, then 50%) on `target` (a YAML flow mapping: a
 * platform's stand-in, the user's deploy step having put v2 there at 0%), as the action runs it:
 * each job builds its targets afresh, on a file ledger (`ledger`, which a test may wrap before a
 * job), a fake clock and metrics that pass. `open()` is the PR's first job, one pass (v2 gets 10%);
 * `pushV1Back()` a later head's job;
 * `close()` the job of its close without merge: the report's lines (as its comment says them);
 * `tickAfterUnrecordedClose()` a schedule tick once the PR closed and no job recorded it.
 * `logs` has every line the jobs logged.
 */
export async function closedPrWorld(target: string) {
  const { config } = parseConfig(canaryOnTarget(target), {});
  const clock = new FakeClock();
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
  const metrics = passingErrorRate();
  const world = {
    ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-closed-pr-')), 'ledger.json')) as Ledger,
  };
  const ports = (): Ports => ({
    ledger: world.ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'model.yaml': 'version: v1\n' },
      [sha(2)]: { 'model.yaml': 'version: v2\n' },
      [sha(3)]: { 'model.yaml': 'version: v1\n' },
    }),
    clock,
    log,
    targetFor: (model) => targetFor(model, log),
    metricsFor: () => metrics,
  });
  const event = { action: 'opened', number: 7, baseSha: sha(1), headSha: sha(2), merged: false };
  const open = () => handlePullRequest(config, event, ports(), { mode: 'tick', maxWaitMs: 0, dryRun: false });
  /** A push of head sha(3), which puts v1 back: v2's release is superseded, nothing in its place. */
  const pushV1Back = () =>
    handlePullRequest(config, { ...event, action: 'synchronize', headSha: sha(3) }, ports(), {
      mode: 'tick',
      maxWaitMs: 0,
      dryRun: false,
    });
  async function close(dryRun = false) {
    const closed = { ...event, action: 'closed' };
    const result = await handlePullRequest(config, closed, ports(), { mode: 'tick', maxWaitMs: 0, dryRun });
    return { result, report: decisionSentences(result) };
  }
  /**
   * A schedule tick after the PR was closed on GitHub with no close job recording it (lost or
   * cancelled): its port says the PR is closed. `notify`: the lines for other PRs' comments.
   */
  async function tickAfterUnrecordedClose(dryRun = false) {
    const closedOnGitHub: Ports = { ...ports(), pullRequestState: async () => ({ state: 'closed' }) };
    const result = await handleSchedule(config, closedOnGitHub, { mode: 'tick', maxWaitMs: 0, dryRun });
    return { result, report: decisionSentences(result), notify: result.notify ?? [] };
  }
  /** A schedule tick whose port answers PR #7's state as `state`, or fails with it (an Error). */
  async function tickWhilePr(state: 'open' | 'closed' | 'merged' | Error) {
    const pullRequestState = async () => {
      if (state instanceof Error) throw state;
      return { state };
    };
    const result = await handleSchedule(
      config,
      { ...ports(), pullRequestState },
      { mode: 'tick', maxWaitMs: 0 },
    );
    return { result, report: decisionSentences(result), notify: result.notify ?? [] };
  }
  return { world, clock, logs, metrics, open, pushV1Back, close, tickAfterUnrecordedClose, tickWhilePr };
}

/**
 * closedPrWorld's canary on `target` with the PR comments as the ledger, on the GitHub stand-in
 * `github` (its PRs seeded by the test): `job(pr, head, action)` is one PR job of the action, a
 * new client and ledger of its own run (completed, so the queue may re-run it), the comment
 * published and the next PR waiting for a slot it freed re-run, as the action's last steps do.
 * Versions: sha(1) v1, sha(2) and sha(8) v2. `logs` has every line the jobs logged.
 */
export function closedPrOnGitHub(target: string, github: FakeGitHub) {
  const { config } = parseConfig(canaryOnTarget(target), {});
  const clock = new FakeClock(Date.now());
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
  const metrics = passingErrorRate();
  const declares = (version: string) => ({ 'model.yaml': `version: ${version}\n` });
  const files = { [sha(1)]: declares('v1'), [sha(2)]: declares('v2'), [sha(8)]: declares('v2') };
  let runs = 100;
  async function job(pr: number, head: number, action: 'opened' | 'closed') {
    const runId = ++runs;
    completedRun(github, runId);
    const ledger = jobLedger(github, { sha: sha(head), pr, runId, clock, models: ['fraud'] });
    const ports: Ports = {
      ledger,
      reader: memoryFileReader(files),
      clock,
      log,
      targetFor: (model) => targetFor(model, log),
      metricsFor: () => metrics,
    };
    const event = { action, number: pr, baseSha: sha(1), headSha: sha(head), merged: false };
    const result = await handlePullRequest(config, event, ports, {
      mode: 'tick',
      maxWaitMs: 0,
      dryRun: false,
    });
    const render = (r: Parameters<typeof renderMarkdown>[1], compact: boolean) =>
      renderMarkdown(config, r, { now: clock.now(), compact, prComment: true });
    const publisher = new CommentPublisher(ledger, render, { runId, attempt: 1 }, clock, { settleMs: 0 });
    await publisher.publish({ final: true, notes: new Map([[pr, result.skipped]]) });
    // As the action's last step: a slot this job freed goes to the next PR waiting for it.
    await ledger.startWaiting();
    return { result, report: decisionSentences(result) };
  }
  return { clock, logs, job };
}
