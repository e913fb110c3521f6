import type { Config } from '../config/types.js';
import { TargetError } from '../core/errors.js';
import { sameTraffic, type TrafficState } from '../core/traffic.js';
import { changedSince } from '../ledger/ledger.js';
import { phasesOf } from '../strategies/strategy.js';
import { withdrawTraffic } from '../targets/reconcile.js';
import type { ReleaseContext } from './context.js';
import { checkSameTarget } from './deployed-target.js';
import { announceEnd, ended, endThenWithdraw, hasLiveTraffic, servesAfterEnd } from './finish.js';
import { contextFor, type Ports } from './ports.js';
import type { RunResult } from './pull-request.js';
import type { Release } from './types.js';

/** A line for a PR's comment other than the run's own (RunResult.notify). */
type Notice = NonNullable<RunResult['notify']>[number];

/** The longest a run waits for the job that may be driving a release to record its change. */
const MAX_GRACE_MS = 60_000;

/**
 * A release recorded as analysing whose candidate has no live traffic on the platform, though
 * its phase gives it some, is not resumed but ended as aborted, saved, saying why: its job
 * stopped and the post step withdrew the candidate but could not record it (GitHub did not
 * answer), or someone withdrew it by hand. Resuming would judge stale data or give a withdrawn
 * candidate traffic again. One whose candidate serves alone, its stable version gone (blue removed
 * under a bake), is live and unjudged: it is ended the same way, `from` put back to serve alone
 * (endThenWithdraw: a refusal is recorded, the withdrawal pending). Any other release is returned
 * as it is. A release ended here after its PR merged (on-merge: analyze-then-promote) says on the
 * merged PR (`notify`, for a run that writes other PRs' comments) that its candidate was not promoted.
 * One deployed on another target than the config's fails the run instead (deployed-target.ts).
 */
export async function endIfWithdrawn(
  config: Config,
  release: Release,
  ports: Ports,
  notify: (line: Notice) => void = () => {},
  pr: { merged?: boolean } = {},
): Promise<Release> {
  const model = config.models[release.model];
  if (!model || release.status !== 'analysing' || release.withdrawPending) return release;
  const phase = phasesOf(model.strategy)[release.phase];
  // Not deployed yet, or a phase without live traffic (a smoke test on green): nothing to miss.
  if (!phase || sameTraffic(phase.traffic(release.from, release.to), withdrawTraffic(release.from)))
    return release;
  const ctx = contextFor(model, ports);
  // Deployed on another target than this run's: its candidate's traffic there is not read here.
  checkSameTarget(release, ctx.target);
  let serving: TrafficState;
  try {
    // The release's versions: its candidate may hold any share (a 75% step), and keeps its name.
    serving = await ctx.target.read({ stable: release.from, candidate: release.to });
  } catch (err) {
    // Not knowing is no evidence of a withdrawal: the tick resumes it, and meets the failure itself.
    if (err instanceof TargetError) return release;
    throw err;
  }
  const alone = serving.stable.version === release.to;
  if (!alone && hasLiveTraffic(serving, release.to)) return release;
  // A job driving it may have withdrawn it a moment ago (a rollback, or idle on the way to ready),
  // or promoted it, and be about to save: give it one look's time, then take the record's word if
  // it moved on.
  if (ports.ledger.reread) {
    await ports.clock.sleep(Math.min(model.strategy.intervalMs, MAX_GRACE_MS));
    const now = await changedSince(release, ports.ledger);
    if (now) return now;
  }
  const again = howToAnalyseAgain(release, model.source.file, pr.merged);
  if (alone) return notedIfMerged(await endCandidateAlone(release, phase.name, again, ctx, ports), notify);
  // A shadow's candidate never has live traffic: what it lost is its mirror.
  const lost = phase.traffic(release.from, release.to).mirror
    ? 'was no longer mirrored'
    : 'had no live traffic';
  const why =
    `${release.to} ${lost} when this run went to resume ${phase.name} (${serving.stable.version} alone served): ` +
    `the run analysing it withdrew it without recording that (GitHub did not answer: a stopped job's post step, or a rollback GitHub refused to record; that run's log says which), or it was withdrawn by hand; ${again}`;
  const stopped = ended(release, 'aborted', why, ctx.clock.now());
  await ports.ledger.saveRelease(stopped);
  ports.log.warn(`${release.model}: ${why}`);
  return notedIfMerged(stopped, notify);
}

/**
 * How the user has the candidate analysed again. After its PR merged, no push or reopen can: its
 * candidate was not promoted; with the merge on record (`mergedAt`, analyze-then-promote), a re-run
 * of the merge job analyses it again (merged-ready.ts analysesAgainAfterMerge); merged otherwise
 * (`merged`: the PR's state says so, its merge job not on record), only a new PR does (`file`: the
 * model's version file).
 */
function howToAnalyseAgain(release: Release, file: string, merged = false): string {
  if (release.mergedAt === undefined && !merged)
    return 'push a new commit, or close and reopen the PR, to analyse it again';
  if (release.mergedAt === undefined)
    return `${release.to} was not promoted; ${mergedPrAdvice(release.to, servesAfterEnd(release), file)}`;
  return `${release.to} was not promoted; ${rerunMergeJob(release)}`;
}

/** A merged PR's release with its merge on record (analyze-then-promote) ended unpassed: what analyses it again. */
export const rerunMergeJob = (release: Release): string =>
  `re-run ${release.pr === undefined ? 'the merge job' : `the merge job of PR #${release.pr}`} to analyse it again`;

/**
 * What a merged PR whose `version` was not released can do, `serving` serving: no push or reopen
 * analyses a merged PR again, and a PR's run releases only a version it changes, so the version
 * file (`file`) goes back first (toRelease).
 */
export const mergedPrAdvice = (version: string, serving: string, file: string): string =>
  `the PR is merged, so no new commit or reopening analyses it again: ${toRelease(version, serving, file)}`;

/** How a version the base branch declares, `serving` serving instead, is released with its analysis. */
export const toRelease = (version: string, serving: string, file: string): string =>
  `to release ${version}, merge a PR that sets ${file} back to ${serving}, then open one that declares ${version} again`;

/** `stopped`, ended here; after its PR merged, its reason goes to the merged PR's comment too. */
function notedIfMerged(stopped: Release, notify: (line: Notice) => void): Release {
  if (stopped.mergedAt !== undefined && stopped.pr !== undefined)
    notify({ pr: stopped.pr, model: stopped.model, why: stopped.reason ?? rerunMergeJob(stopped) });
  return stopped;
}

/**
 * The candidate serves all live traffic alone, `from` gone from the platform (removed by hand, or
 * by the platform): unjudged, it must not stay so. The release ends aborted and `from` is asked
 * to serve alone again; where the platform refuses, the record says the withdrawal is pending
 * with its words, and the next run tries again (retryWithdrawal).
 */
async function endCandidateAlone(
  release: Release,
  phaseName: string,
  again: string,
  ctx: ReleaseContext,
  ports: Ports,
): Promise<Release> {
  const { from, to } = release;
  const why =
    `${to} served all live traffic alone when this run went to resume ${phaseName}: ${from} was no longer deployed ` +
    `(removed outside model-gate); the analysis stopped and ${from} was asked to serve alone again; ${again}`;
  const end = { status: 'aborted' as const, why };
  const { release: stopped } = await endThenWithdraw(release, end, ctx, ports.ledger, announceEnd(ports));
  ports.log.warn(`${release.model}: ${stopped.reason}`);
  return stopped;
}
