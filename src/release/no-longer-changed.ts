import type { Config, ModelConfig } from '../config/types.js';
import { sameRelease } from '../ledger/ledger.js';
import { type ChangedModel, unchangedVersion } from '../version/changed-models.js';
import { headName } from '../version/head-name.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import { announceEnd, endThenWithdraw } from './finish.js';
import type { LeftAlone } from './left-alone.js';
import { endedByRollbackToIt } from './phase-notes.js';
import { contextFor, type Ports } from './ports.js';
import type { PullRequestEvent, RunResult } from './pull-request.js';
import { inFlight, type Release } from './types.js';
import { undeclaredOfPr } from './undeclared-models.js';
import { driveReleases } from './watch.js';

/**
 * A live release (analysing or ready) of this PR for a model its head no longer changes (the
 * version put back, the version file deleted) is withdrawn as superseded, as a new head's
 * candidate replaces an old one: else the old candidate keeps the canary slot and the merge
 * promotes a version the merged head does not declare. The new head's `model-gate/<model>` status
 * passes, saying why; so does that of a head after it (passEndedRelease). A dry run says it would.
 * A PR's candidate that may be live, of a model the config no longer names (undeclared-models.ts),
 * or deployed on another target than the config's (deployed-target.ts), is left alone and kept in
 * `leftAlone`, for the run to fail on once it acted on the other models; without it, the first
 * such model fails the run at once.
 */
export async function withdrawNoLongerChanged(
  config: Config,
  event: PullRequestEvent,
  changed: ChangedModel[],
  ports: Ports,
  opts: { dryRun: boolean; only?: string; leftAlone?: LeftAlone },
): Promise<RunResult> {
  const keep = (err: unknown) => {
    if (!opts.leftAlone) throw err;
    opts.leftAlone.keep(err);
  };
  for (const err of await undeclaredOfPr(config, event.number, ports.ledger, opts.only)) keep(err);
  const result: RunResult = { releases: [], skipped: [] };
  for (const name of opts.only === undefined ? Object.keys(config.models) : [opts.only]) {
    const model = config.models[name];
    if (!model || changed.some((c) => c.model === name)) continue;
    const release = await ports.ledger.release(name);
    if (release?.pr !== event.number) continue;
    try {
      await withdrawOne(config, model, release, event, ports, opts, result);
    } catch (err) {
      keep(err);
    }
  }
  return result;
}

/** withdrawNoLongerChanged of `model`, whose release of the PR is `release`: what it did goes to `result`. */
async function withdrawOne(
  config: Config,
  model: ModelConfig,
  release: Release,
  event: PullRequestEvent,
  ports: Ports,
  opts: { dryRun: boolean },
  result: RunResult,
): Promise<void> {
  const { name } = model;
  if (!inFlight(release)) {
    if (opts.dryRun) return;
    // Its withdrawal pending (refused, or a run lost before the platform confirmed it): a re-run
    // tries it again, as its report says, before the head's status says how it ended. (Another
    // run's newer release, met instead, is that run's to drive.)
    const [settled = release] = release.withdrawPending
      ? await driveReleases(config, [release], ports, { mode: 'tick', maxWaitMs: 0 })
      : [];
    if (settled !== release && sameRelease(settled, release)) result.releases.push(settled);
    await passEndedRelease(model, settled, event, ports);
    return;
  }
  const unchanged = await unchangedVersion(ports.reader, event.baseSha, event.headSha, model.source);
  // The files say it does change (a list of touched files older than the head): not this run's call.
  if (!unchanged) return;
  const at = event.headSha === WORKING_TREE ? 'the working tree' : `head ${headName(event.headSha)}`;
  const why =
    'absent' in unchanged
      ? `the PR no longer declares ${name}'s version: ${at} has no ${model.source.file}`
      : `the PR no longer changes ${name}'s version: ${at} declares ${unchanged.same}, as the base does`;
  if (opts.dryRun) {
    result.skipped.push({ model: name, why: `would withdraw ${release.to}: ${why}`, kind: 'dry-run' });
    return;
  }
  // The end recorded first (endThenWithdraw): a run driving the release gives it no traffic again.
  const end = { status: 'superseded' as const, why: `${why}; ${release.to} withdrawn` };
  const ctx = contextFor(model, ports);
  const { release: withdrawn } = await endThenWithdraw(release, end, ctx, ports.ledger, announceEnd(ports));
  ports.log.info(`${name}: ${withdrawn.reason}`);
  // The old head's status does not count for this one: a required `model-gate/<model>` waits on it.
  if (event.headSha !== WORKING_TREE)
    await ports.passNoLongerChanged?.(
      name,
      event.headSha,
      `${noLonger(name, unchanged)}: ${candidate(withdrawn, 'withdrawn')}`,
    );
  result.releases.push(withdrawn);
}

/**
 * The PR's release of `model` ended before this run (withdrawn by an earlier head, failed,
 * aborted, promoted by command) and the head does not change the model: the head's
 * `model-gate/<model>` status passes, saying how it ended. A status belongs to one commit, so each
 * later push (a README fix) needs its own, as does a re-run after GitHub refused it; else a
 * required status keeps the PR waiting for ever. Only the ledger is read for a PR with no release
 * of the model (the commonest case): no version file, no write.
 */
export async function passEndedRelease(
  model: ModelConfig,
  release: Release | undefined,
  event: PullRequestEvent,
  ports: Pick<Ports, 'reader' | 'passNoLongerChanged'>,
): Promise<void> {
  if (!ports.passNoLongerChanged || event.headSha === WORKING_TREE) return;
  if (release?.pr !== event.number || inFlight(release)) return;
  const unchanged = await unchangedVersion(ports.reader, event.baseSha, event.headSha, model.source);
  if (!unchanged) return;
  await ports.passNoLongerChanged(
    model.name,
    event.headSha,
    `${noLonger(model.name, unchanged)}: ${endedEarlier(release)}`,
  );
}

/** What the head no longer does for the model, the start of its status. */
const noLonger = (name: string, unchanged: { absent: true } | { same: string }) =>
  'absent' in unchanged ? `no longer declares ${name}'s version` : `no longer changes ${name}`;

/** How a release ended before this run, for the status of a head that no longer changes its model. */
function endedEarlier(release: Release): string {
  switch (release.status) {
    case 'failed':
      return candidate(release, 'failed its analysis earlier');
    case 'promoted':
      return `candidate ${release.to} was promoted earlier`;
    default:
      // A rollback went back to the candidate itself: it serves, nothing was withdrawn.
      if (endedByRollbackToIt(release)) return `${release.to} serves, put back by a rollback`;
      return candidate(release, 'was withdrawn earlier');
  }
}

/** `candidate v2 <done>`, unless taking it out of service failed: then it may still get live traffic. */
const candidate = (release: Release, done: string) =>
  release.withdrawPending
    ? `withdrawing candidate ${release.to} failed, the next run retries`
    : `candidate ${release.to} ${done}`;
