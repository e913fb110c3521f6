import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { decisionSentences } from '../../src/report/decision.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { canaryOnTarget } from '../support/pr-release-world.js';
import { passingErrorRate } from '../support/scripted-metrics.js';

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
  return { world, clock, logs, metrics, open, pushV1Back, close, tickAfterUnrecordedClose };
}
