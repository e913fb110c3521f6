import type { Config } from '../config/types.js';
import { ConfigError } from '../core/errors.js';
import { changedSince, EndedElsewhereError, type Ledger, sameRecord, sameRelease } from '../ledger/ledger.js';
import { headName } from '../version/head-name.js';
import { promoteMerged, readyOnRecord } from './finish.js';
import { passedPhases } from './passed-phases.js';
import { endedByRollbackToIt, withoutOpenPrAdvice } from './phase-notes.js';
import { contextFor, type Ports } from './ports.js';
import type { PullRequestEvent, RunResult } from './pull-request.js';
import { endedByStoppedJob } from './stopped-job-end.js';
import type { Release } from './types.js';
import { mergedPrAdvice } from './withdrawn-meanwhile.js';

// on-merge: analyze-then-promote. The merge job analyses the candidate until its max-wait; a long
// analysis (a shadow of days, an A/B to its sample size) goes on in schedule ticks after it. The
// merge is recorded on the release (`mergedAt`), so the run that finishes the analysis acts on it:
// a tick that makes it ready promotes it, one that finds it failed says so on the merged PR, and
// a re-run of a merge job cancelled mid-analysis (the post step withdrew it) analyses it again.

/**
 * The release with the merge recorded (once, by its first merge job), stamped `now`: a run that
 * read it before (a tick) then takes the record as another run's, and leaves it to this one.
 */
export const withMerge = (release: Release, now: number): Release =>
  release.mergedAt === undefined ? { ...release, mergedAt: now, updatedAt: now } : release;

/**
 * Records the merge (withMerge, stamped `now`) on each analysing release of `read`, on its record
 * as read again now: another run (a schedule tick) may have saved a newer one since this job read
 * it, a step passed or the candidate failed and rolled back, which a save of the record first read
 * would undo (the failed candidate analysed again, with live traffic). One that run took out of
 * analysis is returned as it left it, without the mark: the merge job acts on it as it finds it.
 */
export async function recordMerge(read: Release[], ledger: Ledger, now: number): Promise<Release[]> {
  const out: Release[] = [];
  for (const release of read) {
    const current = (await changedSince(release, ledger)) ?? release;
    // Another release in its place (a newer head's): driveReleases gives this one up to it.
    if (!sameRelease(current, release)) {
      out.push(release);
      continue;
    }
    if (current.status !== 'analysing') {
      out.push(current);
      continue;
    }
    const merged = withMerge(current, now);
    if (merged !== current) await ledger.saveRelease(merged);
    out.push(merged);
  }
  return out;
}

/**
 * Whether the merged PR's job analyses this head's release again: the analysis was withdrawn before
 * it decided, after the merge (its PR merged while it was analysing: the merge job cancelled and its
 * post step withdrew it, or an abort), or before it by the post step of a stopped job (nobody chose
 * to stop it: stopped-job-end.ts). Not one stopped on purpose before the merge (an abort command,
 * a withdrawal by hand), nor one whose candidate serves by a rollback to it. The merge job asks
 * only under on-merge: analyze-then-promote (merge-job.ts analyseAgain).
 */
export const analysesAgainAfterMerge = (event: PullRequestEvent, release: Release): boolean =>
  event.action === 'closed' &&
  event.merged &&
  (release.mergedAt !== undefined || endedByStoppedJob(release)) &&
  release.status === 'aborted' &&
  !release.withdrawPending &&
  !endedByRollbackToIt(release);

/**
 * A release of the PR that ended unpromoted before the merge, as a merged PR's record says it: its
 * words (reason, phase notes, a failed first rollback's why) less the advice they gave while the PR
 * was open (push a new commit, reopen the PR, re-run the job once the metrics source answers),
 * which nobody can follow once it merged; the merged PR's comment, report and commit status are
 * written from it. A failed one also gets the merge on its record (`mergedAt`), from which the
 * report gives what a merged PR can do in its place (phase-notes.ts mergedAdvice, decision.ts
 * retryAdvice), and no run analyses that head again (one whose metrics check met only passing
 * faults, unreadBeforeTraffic, would be). Not an aborted one: its merge on record would have a
 * re-run of the merge job analyse it (analysesAgainAfterMerge). Not one whose withdrawal is pending:
 * the run that settles it writes its record, and calls this once it is told the PR merged (a
 * schedule tick: closed-meanwhile.ts settledForItsPr). One another run changed since this run read
 * it is left as that run recorded it.
 */
export async function endedOnMerge(release: Release, ports: Ports): Promise<Release> {
  if (!changesOnMerge(release)) return release;
  const theirs = await changedSince(release, ports.ledger);
  if (theirs) return theirs;
  const now = ports.clock.now();
  const failed = release.status === 'failed';
  const saved: Release = {
    ...withoutOpenPrWords(release),
    ...(failed ? { mergedAt: now } : {}),
    updatedAt: now,
  };
  await ports.ledger.saveRelease(saved);
  return saved;
}

/** Whether endedOnMerge changes `release`'s record (as read): see there. */
export function changesOnMerge(release: Release): boolean {
  const failed = release.status === 'failed';
  if ((!failed && release.status !== 'aborted') || release.withdrawPending) return false;
  if (release.mergedAt !== undefined || endedByRollbackToIt(release)) return false;
  return failed || withoutOpenPrWords(release).reason !== release.reason;
}

/** `release`'s words as a merged PR's: less the advice to the open PR (withoutOpenPrAdvice). */
function withoutOpenPrWords(release: Release): Release {
  const failed = release.ending?.withdrawFailed;
  return {
    ...release,
    ...(release.reason === undefined ? {} : { reason: withoutOpenPrAdvice(release.reason) }),
    phases: release.phases.map((p) =>
      p.note === undefined ? p : { ...p, note: withoutOpenPrAdvice(p.note) },
    ),
    ...(failed?.why === undefined
      ? {}
      : {
          ending: { ...release.ending, withdrawFailed: { ...failed, why: withoutOpenPrAdvice(failed.why) } },
        }),
  };
}

/**
 * The merge's note on the PR's release that ended before it (aborted, failed): not promoted, and
 * why, less the advice its reason gave while the PR was open (a new commit, a reopen), which a
 * merged PR cannot follow; in its place, what releases the version the merged head declares
 * (`declared`, unknown: none; `file`, the model's version file).
 */
export function endedBeforeMergeNote(release: Release, declared: string | undefined, file: string): string {
  const why = withoutOpenPrAdvice(release.reason ?? `${release.to} ${release.status}`);
  const serving = release.ending?.serves ?? release.from;
  // A reason that says this already (a promotion not made over a hotfix, finish.ts) is not said twice.
  const said = why.includes(`then open one that declares ${release.to} again`);
  const next =
    declared === release.to && declared !== serving && !said
      ? `; ${mergedPrAdvice(declared, serving, file)}`
      : '';
  // A reason that opens so already (a promotion not made over a hotfix) is not prefixed twice.
  const notPromoted = `${release.to} was not promoted: `;
  return `${why.startsWith(notPromoted) ? '' : notPromoted}${why}${next}`;
}

/** The merge job's line on a candidate it leaves analysing when its max-wait runs out. */
export const stillAnalysingNote = (release: Release): string =>
  `merged while ${release.to} is still analysing (on-merge: analyze-then-promote): the run that finishes its analysis (a schedule tick, or a re-run of this job) promotes ${release.to} if it passes, and says here if it fails`;

/**
 * How long after a release was recorded ready a tick leaves its promotion to the run that made it
 * ready: a merge job (analyze-then-promote) promotes it right after, and a platform may take
 * minutes to confirm; a second promoter meanwhile would record the promotion twice.
 */
export const PROMOTION_GRACE_MS = 10 * 60_000;

/** Ready after its PR merged (on-merge: analyze-then-promote): its promotion began, none confirmed it. */
export const promotionPending = (r: Release): boolean => r.status === 'ready' && r.mergedAt !== undefined;

/**
 * Whether a schedule tick tries again to promote `release`: its PR merged (analyze-then-promote),
 * it passed, and no run has promoted it since the grace after its last record (a refused promotion,
 * a run lost before it promoted).
 */
export const promotionDue = (release: Release, now: number): boolean =>
  promotionPending(release) && now - release.updatedAt >= PROMOTION_GRACE_MS;

/** Whether the last phase of merged `release` ended after its merge: analysed after it (analyze-then-promote). */
const analysedAfterMerge = (release: Release): boolean =>
  release.mergedAt !== undefined && (release.phases.at(-1)?.endedAt ?? release.updatedAt) > release.mergedAt;

/**
 * Whether `release` failed before its PR merged, the merge put on its record since (endedOnMerge):
 * its head is where it was analysed, not where the PR merged, and no merge started it.
 */
export const failedBeforeItsMerge = (release: Release): boolean =>
  release.status === 'failed' && release.mergedAt !== undefined && !analysedAfterMerge(release);

/**
 * After a schedule tick drove `releases`: promote each merged one it made ready, and say on the
 * merged PR of each it found failed after the merge that it was not promoted. `again`: merged releases the tick
 * found ready (promotionDue), each tried once more. Each record is read again right before its
 * promotion: one another run changed since (promoted, rolled back, superseded) is left as it is;
 * one it saved again still ready is promoted from that record.
 * A platform that refuses the promotion leaves the release ready, its reason saying why, and the
 * next tick tries again. One analysed on another target than this config's is left as recorded, its
 * ConfigError in `refused` for the run to fail on once the others are promoted.
 */
export async function promoteMergedReady(
  config: Config,
  releases: Release[],
  ports: Ports,
  again: Release[] = [],
): Promise<{
  releases: Release[];
  notify: NonNullable<RunResult['notify']>;
  refused: { model: string; error: ConfigError }[];
}> {
  const notify: NonNullable<RunResult['notify']> = [];
  const out: Release[] = [];
  const refused: { model: string; error: ConfigError }[] = [];
  for (const release of [...releases, ...again]) {
    const model = config.models[release.model];
    if (!model || release.mergedAt === undefined || release.pr === undefined) {
      out.push(release);
      continue;
    }
    const { pr } = release;
    if (release.status === 'failed' && analysedAfterMerge(release)) {
      // Its reason was worded for an open PR (push a new commit): the merged PR is told what works.
      // One that failed before the merge, its merge put on its record since, is told as such
      // where that record is written (endedOnMerge's callers).
      const failed = withoutOpenPrAdvice(release.reason ?? '');
      const advice = mergedPrAdvice(release.to, release.from, model.source.file);
      const why = `${release.to} failed its analysis after the merge and was not promoted; ${release.from} serves: ${failed}; ${advice}`;
      notify.push({ pr, model: model.name, why });
      out.push(release);
      continue;
    }
    if (release.status !== 'ready') {
      out.push(release);
      continue;
    }
    // Read again right before the promotion, as a driver does before each traffic change: a run
    // that promoted, ended or replaced it since has the last word. Also one this run made ready: it
    // drove the other models after it, meanwhile a rollback by command may have withdrawn it. One
    // that saved it again still ready (a refused promotion, a change to idle finished) ended nothing:
    // promoted from that record, not left for a tick after the grace.
    const found = await readyOnRecord(release, ports.ledger);
    if ('theirs' in found) {
      const { theirs } = found;
      // Said once: a run that gave the release up to it said so already.
      if (!sameRecord(theirs, release)) ports.log.warn(new EndedElsewhereError(theirs, release).message);
      out.push(theirs);
      continue;
    }
    const { ready } = found;
    const head = release.headSha === undefined ? '' : ` on ${headName(release.headSha)}`;
    // One its merge job could not promote (on-merge: require-pass) passed before the merge.
    const after = analysedAfterMerge(release) ? ', analysed after the merge' : '';
    const summary = `passed ${passedPhases(model, release)}${head}${after}`;
    // A refusal is on record, so that the merged PR's comment says the promotion is pending and why
    // (its release's line: a note beside it would say the same again).
    const passed = `passed its analysis${after ? ' after the merge' : ''}`;
    try {
      out.push(await promoteMerged(ready, contextFor(model, ports), ports, { summary, passed }));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      out.push(ready);
      refused.push({ model: model.name, error: err });
    }
  }
  return { releases: out, notify, refused };
}
