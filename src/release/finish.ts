import { ModelGateError, TargetError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { sameTraffic, type TrafficState } from '../core/traffic.js';
import { EndedElsewhereError, type Ledger, type LedgerEntry, sameRelease } from '../ledger/ledger.js';
import { strategyOf } from '../strategies/strategy.js';
import { TargetBusyError } from '../targets/errors.js';
import { reconcile, withdrawTraffic } from '../targets/reconcile.js';
import type { KnownVersions, Target } from '../targets/target.js';
import {
  confirmingTarget,
  readBackTiming,
  readPatiently,
  UnconfirmedChange,
  withdrawingTarget,
} from './confirmed-change.js';
import type { ReleaseContext } from './context.js';
import { defectOf, reportIt, stoppedOn } from './defects.js';
import { checkPromotionTarget, checkSameTarget } from './deployed-target.js';
import type { Ports } from './ports.js';
import { restoreEnd } from './restore-end.js';
import type { Ending, Release } from './types.js';

/**
 * Make the candidate the stable version in one target call, read back, and record it in the
 * ledger: the promotion entry with `summary` first, then the release's new state. A run stopped
 * between the two (GitHub refused the second) leaves the release as it was, so its re-run promotes
 * again: the call changes nothing, and the entry already there is not written twice. Saved first,
 * a `promoted` release without its entry would stay so (a re-run of the merge finds nothing to do),
 * and blue-green's rollback-window would go on reading the promotion before as the last word.
 * Another run's record of the release that landed during the call (a rollback by command) wins:
 * nothing is recorded, and EndedElsewhereError says so (checkNotEndedMeanwhile). One that saved
 * the release again still ready (a tick finishing its change to idle) ends nothing: the promotion
 * is recorded over it.
 */
export async function promote(
  release: Release,
  ctx: ReleaseContext,
  ledger: Ledger,
  summary: string,
): Promise<Release> {
  const done = await promoteOrRefused(release, ctx, ledger, summary);
  if ('refused' in done) throw done.refused;
  return done.promoted;
}

/**
 * promote, a platform refusal returned with the record as read again after it (`current`: the
 * release another run may have saved again, still ready), for the caller to record it on.
 */
async function promoteOrRefused(
  release: Release,
  ctx: ReleaseContext,
  ledger: Ledger,
  summary: string,
  ownMark?: number,
): Promise<{ promoted: Release } | { refused: TargetError; current: Release }> {
  // Analysed on another target than this run's: not promoted there, nothing recorded.
  checkPromotionTarget(release, ctx.target);
  const wrote = strategyOf(ctx.config.strategy).promoted(release.from, release.to);
  try {
    // Read back patiently: a read failing once after the platform took it is no refused promotion.
    await reconcile(confirmingTarget(ctx.target, ctx.config, ctx.clock), wrote);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    // A read back that found another run's change (a rollback landing after this one) is its word.
    return { refused: err, current: await checkNotEndedMeanwhile(release, ctx, ledger, wrote) };
  }
  const current = await checkNotEndedMeanwhile(release, ctx, ledger, wrote);
  // A change to idle pending on a ready record is moot once the candidate serves alone; so is the
  // merge this run marked only for a lost run's sake (`ownMark`, mergeOnRecord).
  const { idlePending: _, mergedAt, ...rest } = current;
  const promoted: Release = {
    ...rest,
    ...(mergedAt === undefined || mergedAt === ownMark ? {} : { mergedAt }),
    status: 'promoted',
    updatedAt: ctx.clock.now(),
    reason: `${release.to} is now the stable version (was ${release.from}); ${summary}`,
  };
  await recordPromotion(promoted, ledger, summary);
  await ledger.saveRelease(promoted);
  return { promoted };
}

/**
 * Throws EndedElsewhereError when another run ended, promoted or replaced `release` (a rollback by
 * command) while this run promoted it (`wrote`): the caller read the record right before, but the
 * two calls are not one. That run's record stands, unpromoted here, and what it says serves is put
 * back where the platform still shows this run's change (restoreEnd, as a finished change to idle does).
 * Else returns the record to build the promotion on (readyOnRecord).
 */
async function checkNotEndedMeanwhile(
  release: Release,
  ctx: ReleaseContext,
  ledger: Ledger,
  wrote: TrafficState,
): Promise<Release> {
  const found = await readyOnRecord(release, ledger);
  if ('ready' in found) return found.ready;
  const { theirs } = found;
  const gaveUp = new EndedElsewhereError(theirs, release);
  try {
    await restoreEnd(ctx, wrote, release, theirs);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    gaveUp.message += `; this run's promotion may have landed after that run's change, and putting back what that run left serving failed: ${err.message}: ${release.to} may still serve, run that command again`;
  }
  throw gaveUp;
}

/**
 * The record of ready `release` read again, before or after its promotion: `ready`, the same release
 * still ready, as read or saved again by another run since (a change to idle finished, a refused
 * promotion recorded), which ends nothing: the promotion goes on from it; else `theirs`, another
 * run's record that ended, promoted or replaced it (Ledger.endedElsewhere), which has the last word.
 * Read once where the ledger can (reread): endedElsewhere is asked only for a record changed
 * otherwise, since a GitHub ledger gives up for good a release it answered for.
 */
export async function readyOnRecord(
  release: Release,
  ledger: Pick<Ledger, 'endedElsewhere' | 'reread'>,
): Promise<{ ready: Release } | { theirs: Release }> {
  const again = await ledger.reread?.(release);
  if (again && sameRelease(again, release) && again.status === 'ready') return { ready: again };
  const theirs = await ledger.endedElsewhere?.(release, again === undefined);
  return theirs ? { theirs } : { ready: release };
}

/**
 * promote a merged PR's `release` (by its merge job, or a schedule tick after it), a platform refusal
 * recorded rather than thrown: the release stays ready with the merge on record (`mergedAt`), so its
 * report says the promotion is pending and a schedule tick tries again (merged-ready.ts
 * promotionDue), its reason saying why: `${to} ${passed}, but promoting it failed: …`. Either
 * outcome is logged. One another run ended meanwhile (promote) is returned as that run recorded it.
 * The merge is on record before the traffic change (mergeOnRecord), so a run lost during it leaves
 * the promotion pending, for a tick to finish, not a release "ready to merge" for ever. What serves is
 * read first (stableFound): a stable other than `from` put in place by hand is not replaced by a
 * candidate never compared with it (notOverOffRecord); unread, the promotion is pending as a refused one.
 */
export async function promoteMerged(
  release: Release,
  ctx: ReleaseContext,
  ports: Pick<Ports, 'ledger' | 'log' | 'onProgress'>,
  words: { summary: string; passed: string },
): Promise<Release> {
  let done: Awaited<ReturnType<typeof promoteOrRefused>>;
  try {
    const found = await stableFound(release, ctx);
    if ('offRecord' in found) return (await notOverOffRecord(release, found.offRecord, ctx, ports)).release;
    if ('unread' in found) return await promotionRefused(release, found.unread, ctx, ports, words);
    const merged = await mergeOnRecord(release, ctx, ports, words.passed);
    const ownMark = release.mergedAt === undefined ? merged.mergedAt : undefined;
    done = await promoteOrRefused(merged, ctx, ports.ledger, words.summary, ownMark);
  } catch (err) {
    // Another run rolled it back (or ended it) meanwhile: its record is the release's word.
    if (!(err instanceof EndedElsewhereError)) throw err;
    ports.log.warn(err.message);
    return err.release;
  }
  if ('promoted' in done) {
    ports.log.info(`${release.model}: ${done.promoted.reason}`);
    return done.promoted;
  }
  return recordRefused(release, done, ctx, ports, words.passed);
}

/**
 * A merged PR's promotion the platform refused (or took unconfirmed), on the record as read again
 * (`current`): left ready, the merge on record, its reason saying why and who tries again.
 */
async function recordRefused(
  release: Release,
  done: { refused: TargetError; current: Release },
  ctx: ReleaseContext,
  ports: Pick<Ports, 'ledger' | 'log'>,
  passed: string,
): Promise<Release> {
  const words = { passed };
  const job = release.pr === undefined ? 'the merge job' : `the merge job of PR #${release.pr}`;
  const others = `(or re-run ${job}, or use the promote command)`;
  // Taken but never read back: no failure, and no promotion on record until a read confirms it.
  const why =
    done.refused instanceof UnconfirmedChange
      ? `${release.to} ${words.passed}, and the platform accepted its promotion, but no read has confirmed it yet: ${done.refused.message}; ${release.to} probably takes all live traffic now; the promotion is recorded once a read confirms it: the next schedule tick promotes it again, which changes no traffic if ${release.to} serves already ${others}`
      : `${release.to} ${words.passed}, but promoting it failed: ${done.refused.message}; the next schedule tick tries again ${others}`;
  ports.log.warn(`${release.model}: ${why}`);
  const now = ctx.clock.now();
  // On the record as read again: another run may have saved it since, still ready.
  const { current } = done;
  const mergedAt = current.mergedAt ?? release.mergedAt ?? now;
  const pending: Release = { ...current, mergedAt, updatedAt: now, reason: why };
  await ports.ledger.saveRelease(pending);
  return pending;
}

/**
 * What serves as stable before a merged PR's promotion: `offRecord`, a version other than the
 * release's `from` (which its analysis compared the candidate with) and its candidate (a promotion
 * that landed unrecorded); `unread`, the read's failure. A ready release holds the model's slot and
 * a command ends it, so another stable was put in place outside model-gate (a hotfix by hand).
 */
export async function stableFound(
  release: Release,
  ctx: ReleaseContext,
): Promise<{ ok: true } | { offRecord: string } | { unread: TargetError }> {
  // Analysed on another target than this run's: not read here, nothing recorded.
  checkPromotionTarget(release, ctx.target);
  // Read patiently, as a promotion's read-back is: a read failing once holds no promotion back.
  const { settleMs, pollMs } = readBackTiming(ctx.config);
  const known = { stable: release.from, candidate: release.to };
  const read = () => ctx.target.read(known);
  const got = await readPatiently(read, ctx.clock.now() + settleMs, pollMs, ctx.clock);
  if ('failed' in got)
    return { unread: new TargetError(`what serves could not be read before it: ${got.failed.message}`) };
  const { version } = got.state.stable;
  return version === release.from || version === release.to ? { ok: true } : { offRecord: version };
}

/**
 * A ready candidate not promoted over `serving`, put in place outside model-gate since its analysis
 * against `from`: replacing it would drop that version unjudged, and the ledger would say the
 * candidate replaced `from`. The release ends aborted, the candidate withdrawn beside `serving`,
 * which keeps serving (endThenWithdraw: a refusal is recorded, the withdrawal pending, and returned).
 * `by`: who was promoting it, for what to do next: a merge, or the promote command, whose PR may
 * still be open (no merge on record).
 */
export async function notOverOffRecord(
  release: Release,
  serving: string,
  ctx: ReleaseContext,
  ports: Pick<Ports, 'ledger' | 'log' | 'onProgress'>,
  by: 'merge' | 'command' = 'merge',
): Promise<{ release: Release; refused?: TargetError }> {
  const why = `${release.to} was not promoted: ${offRecordWords(release, serving, ctx, by)}`;
  const end = { status: 'aborted' as const, why, desired: withdrawTraffic(serving) };
  const stopped = await endThenWithdraw(release, end, ctx, ports.ledger, announceEnd(ports));
  ports.log.warn(`${release.model}: ${stopped.release.reason}`);
  return stopped;
}

/**
 * Why notOverOffRecord does not promote `release` over `serving`, and what releases it against
 * that: the words after "v2 was not promoted: ".
 */
export function offRecordWords(
  release: Release,
  serving: string,
  ctx: ReleaseContext,
  by: 'merge' | 'command',
): string {
  const { from, to } = release;
  const { file } = ctx.config.source;
  const job = release.pr === undefined ? 'the merge job' : `the merge job of PR #${release.pr}`;
  const again = `merge a PR that sets ${file} to ${serving}, then open one that declares ${to} again`;
  const base = `${serving} serves, put in place outside model-gate (no run recorded it) after ${to} was analysed against ${from}, so ${to} was never compared with ${serving}; to release ${to} against ${serving}`;
  // Merged under analyze-then-promote, the merge is on record: a re-run of its job analyses it again
  // (merged-ready.ts analysesAgainAfterMerge), against what serves then.
  if (release.mergedAt !== undefined && ctx.config.onMerge === 'analyze-then-promote')
    return `${base}, re-run ${job}, which analyses ${to} again against what serves, or ${again}`;
  if (by !== 'command' || release.mergedAt !== undefined || release.pr === undefined)
    return `${base}, ${again}`;
  // A promote command's PR with no merge on record may still be open: a new head of it analyses the
  // candidate against what serves. Said in a clause of its own, after what holds once it is merged:
  // the note of its merge (merge-job.ts endedBeforeMerge) drops that clause, and the rest reads right.
  return `${base}, ${again}; or, while PR #${release.pr} is still open, push a new commit to it (an empty one will do), which analyses ${to} again against what serves`;
}

/**
 * A merged PR's promotion not tried, what serves unread (stableFound): recorded as a refused one
 * (recordRefused), on the record as read again; another run's end of it since has the last word.
 */
async function promotionRefused(
  release: Release,
  unread: TargetError,
  ctx: ReleaseContext,
  ports: Pick<Ports, 'ledger' | 'log'>,
  words: { passed: string },
): Promise<Release> {
  const found = await readyOnRecord(release, ports.ledger);
  if ('theirs' in found) {
    ports.log.warn(new EndedElsewhereError(found.theirs, release).message);
    return found.theirs;
  }
  return recordRefused(release, { refused: unread, current: found.ready }, ctx, ports, words.passed);
}

/**
 * `release` with its merge on record (`mergedAt`), saved and written where other runs read it (the
 * PR's comment, at once) before its promotion's traffic change: a merge job lost between that
 * change and its record (a runner gone) leaves it merged with its promotion pending, which a
 * schedule tick finishes after the grace (merged-ready.ts promotionDue), as it does a refused one.
 * Without it, the release stayed "ready to merge", its commit status saying it awaits the merge, its
 * slot held, and each tick asked for the merge job again. One already on record is left as it is.
 */
async function mergeOnRecord(
  release: Release,
  ctx: ReleaseContext,
  ports: Pick<Ports, 'ledger' | 'onProgress'>,
  passed: string,
): Promise<Release> {
  if (release.mergedAt !== undefined) return release;
  // Analysed on another target than this run's: nothing to promote here, nothing recorded.
  checkPromotionTarget(release, ctx.target);
  const now = ctx.clock.now();
  const job = release.pr === undefined ? 'the merge job' : `the merge job of PR #${release.pr}`;
  const merged: Release = {
    ...release,
    mergedAt: now,
    updatedAt: now,
    reason: `${release.to} ${passed}; ${job} is promoting it (should that job stop first, the next schedule tick promotes it)`,
  };
  await ports.ledger.saveRelease(merged);
  await ports.onProgress?.([merged], { force: true });
  // That write read the record, then wrote it whole: a rollback by command recorded in between is
  // gone from it, but not its end of the canary claim. Asked here, before the traffic change (the
  // check after it reads the record only), that rollback wins and the candidate gets no traffic.
  const theirs = await ports.ledger.endedElsewhere?.(merged, true);
  if (theirs) throw new EndedElsewhereError(theirs, merged);
  return merged;
}

/** Record the promotion of `promoted`: a ledger keeps one where its last entry is it already (Ledger.record). */
async function recordPromotion(promoted: Release, ledger: Ledger, summary: string): Promise<void> {
  await ledger.record({
    model: promoted.model,
    kind: 'promotion',
    version: promoted.to,
    previous: promoted.from,
    at: promoted.updatedAt,
    pr: promoted.pr,
    summary,
  });
}

/**
 * End `release` as `end` says (a rollback or abort by command; a PR closed, merged unpassed or
 * moved on; `failed`: a gate failed on a merge's last look, last-look.ts), its candidate taken
 * out of service by one traffic change to `desired` (default: `from` alone serving), the end
 * recorded first. A run driving the release checks its record before each
 * traffic change (watch.ts, guarded): with the end recorded first, no run gives the candidate
 * traffic again after the change, as one that checked between a change and its record would. The
 * first record is marked withdrawPending: should this run stop before the change is confirmed, the
 * next run takes the candidate out (retryWithdrawal). `announce` writes the record where other runs
 * read it (a PR's comment: announceEnd). A platform refusal is recorded, and returned with it. A
 * first record GitHub or the ledger will not take does not stop the change (endRecords).
 */
export async function endThenWithdraw(
  release: Release,
  end: { status: 'aborted' | 'superseded' | 'failed'; why: string; ending?: Ending; desired?: TrafficState },
  ctx: ReleaseContext,
  ledger: Ledger,
  announce: Announce = () => {},
): Promise<{ release: Release; refused?: TargetError }> {
  // Deployed on another target than this run's: nothing is recorded, nothing withdrawn.
  checkSameTarget(release, ctx.target);
  const { status, why, desired = withdrawTraffic(release.from) } = end;
  // The record says what serves when not `from`: a run whose traffic change lands late restores it.
  const serves = desired.stable.version;
  const ending = serves === release.from ? end.ending : { ...end.ending, serves };
  // Left unrecorded, a record analysing at a live share with `from` back alone is one a tick ends too.
  const live = release.phases.some((p) => p.endedAt === undefined && p.weight > 0);
  const tickEnds = release.status === 'analysing' && live && serves === release.from;
  const { first, recorded } = endRecords(ledger, announce, tickEnds);
  // While the change is under way the record names what serves, `from` too: that marks it apart
  // from a failed withdrawal an older model-gate recorded, which has no ending (withdrawalUnderWay).
  const underWay = { ...end.ending, serves };
  await first({ ...ended(release, status, why, ctx.clock.now(), underWay), withdrawPending: true });
  try {
    await reconcile(withdrawingTarget(ctx), desired);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    const now = ctx.clock.now();
    // A failed release's withdrawal is its rollback: recorded as tick.ts's rollBack records one not taken.
    const notTaken =
      status === 'failed'
        ? rollbackNotTaken(ended(release, status, why, now, end.ending), now, err.message, err)
        : notWithdrawn(release, status, now, withdrawFailure(why, err.message, err), serves);
    return { release: await recorded(notTaken), refused: err };
  }
  return { release: await recorded(ended(release, status, why, ctx.clock.now(), ending)) };
}

/**
 * The records of an end around its traffic change (endThenWithdraw, settleWithdrawal), each saved,
 * then written where other runs read it (`announce`: the PR's comment, which holds a GitHub
 * ledger's releases). The `first`, before the change, is tried, not required, its GitHub writes
 * (comment, commit status) once, no rate limit waited out: one the ledger or GitHub will not take
 * (a token without pull-requests: write, GitHub down, a rate limit) must not keep the candidate
 * live, so the change is made all the same; the canary claim's end, a Deployment, still
 * tells a run driving the release that it ended (EndedElsewhere). A write GitHub refuses is left to
 * the run's final report, which writes the end or fails naming GitHub, its summary saying what
 * took; a record the ledger refuses fails the run once the change is made, as does a defect.
 */
function endRecords(ledger: Ledger, announce: Announce, tickEnds = false) {
  let defect: Error | undefined;
  const write = async (r: Release, at?: { beforeChange: true }) => {
    try {
      await announce(r, at);
    } catch (err) {
      defect ??= defectOf(err, []);
    }
  };
  return {
    first: async (r: Release) => {
      try {
        await ledger.saveRelease(r);
      } catch (err) {
        // Saved again after the change, whose record then fails the run, the candidate out.
        defect ??= defectOf(err, []);
        return;
      }
      await write(r, { beforeChange: true });
    },
    recorded: async (r: Release) => {
      try {
        await ledger.saveRelease(r);
      } catch (err) {
        throw unrecordedEnd(r, err, tickEnds);
      }
      await write(r);
      if (defect) throw defect;
      return r;
    },
  };
}

/**
 * The ledger's refusal (`err`: its lock left behind, a read-only path) of `r`, the record of an
 * end's traffic change that was made: the error says what the change did, that it is not recorded
 * and how it gets recorded, in the ledger's words for what to fix, as recordTaken (commands.ts)
 * words a rollback recorded half way. The way is the same run again, in a job or on the command
 * line: it finds the record as before and ends it so. `tickEnds`: the record left is one a schedule
 * tick also ends (withdrawn-meanwhile.ts), but in its own words, guessing the cause, so it is the
 * fallback, said as such. The ledger's error class is kept: callers tell failures by it. Another
 * run's record (EndedElsewhereError), GitHub's answer and a defect go on as they are.
 */
function unrecordedEnd(r: Release, err: unknown, tickEnds: boolean): unknown {
  if (!(err instanceof ModelGateError) || err instanceof EndedElsewhereError) return err;
  const failed = `recording it failed (${err.message}), so the ledger's record (and the status command) may still have ${r.to} as a candidate in flight`;
  const again =
    'once that is fixed, run the same command again (re-run this job, or the same model-gate command)';
  const tick = tickEnds
    ? `; left to it, the next schedule tick records ${r.to} as aborted, but in its own words (found without live traffic, its cause guessed), not this run's`
    : '';
  const serves = servesAfterEnd(r);
  const done = serves === r.to ? `${r.to} serves in place of ${r.from}` : `${r.to} was withdrawn`;
  err.message = redact(
    // The change did not take either (the platform refused it): that is what went unrecorded.
    r.withdrawPending
      ? `${r.model}: ${r.reason}; ${r.to} may still get live traffic, and ${failed}; ${again} to withdraw it`
      : `${r.model} now serves ${serves} alone: ${done} (${r.reason}), but ${failed}; ${again}, which records it, changing no traffic${tick}`,
  );
  return err;
}

/**
 * endThenWithdraw's `announce` for a run with `ports`: writes the record where other runs read it
 * (the PR's comment) at once, not at the run's end. A pending withdrawal's record is forced: a
 * comment's change check misses what tells its two records apart (under way, refused with the
 * platform's words), and the run may stop before its final write (a refused rollback throws, a
 * runner is lost). The record of a done end is left to that final write.
 */
export const announceEnd =
  (ports: Pick<Ports, 'onProgress'>): Announce =>
  (release, at) =>
    ports.onProgress?.(
      [release],
      release.withdrawPending ? { force: true, ...(at?.beforeChange ? { once: true } : {}) } : undefined,
    );

/**
 * Writes an end's record where other runs read it (endThenWithdraw's `announce`). `beforeChange`:
 * the record written before the traffic change, tried once with no wait (a rate limit waited out
 * would hold the change back, the candidate live); the record of the change's outcome is written
 * with GitHub's waits.
 */
export type Announce = (release: Release, at?: { beforeChange: true }) => Promise<void> | void;

/**
 * The release ended with `status`, but the change that was to take its candidate out of service,
 * leaving `serves` alone serving, did not take (`failed`: refused, or accepted and unconfirmed).
 */
function notWithdrawn(
  release: Release,
  status: 'aborted' | 'superseded',
  now: number,
  failed: WithdrawFailed,
  serves: string | undefined,
): Release {
  const { why, note, unconfirmed } = failed;
  // The next run tries again (retryWithdrawal): the candidate may still get live traffic.
  const { idlePending: _, ...rest } = release;
  return {
    ...rest,
    status,
    // Its open phase ends with the release, as ended() records it: the report words it refused while
    // the withdrawal is pending (report/rows.ts), withdrawn once a later try took the candidate out.
    phases: closedAsWithdrawn(release.phases, now),
    updatedAt: now,
    // Taken but never read back (confirmed-change.ts) is no failure: the candidate is probably out.
    reason: `${why}; withdrawing ${release.to} ${unconfirmed ? 'is unconfirmed' : 'failed'}: ${note}`,
    withdrawPending: true,
    ending: { ...probablyServes(release, failed, serves), withdrawFailed: failed },
  };
}

type WithdrawFailed = NonNullable<Ending['withdrawFailed']>;

/**
 * Ending.withdrawFailed for a change that did not take (`err`, its words `note`), marked
 * `unconfirmed` where the platform accepted it but no read confirmed it: stored as a flag, since
 * the words are masked free text a report cannot match.
 */
function withdrawFailure(why: string, note: string, err: unknown): WithdrawFailed {
  return { why, note, ...(err instanceof UnconfirmedChange ? { unconfirmed: true as const } : {}) };
}

/**
 * The `serves` a record keeps after its change did not take: only an unconfirmed change's (it
 * probably landed), where not `from`. A later try then leaves that version serving and the report
 * names it, not `from` (a refused change's retry goes back to `from`: no rollback was made).
 */
const probablyServes = (release: Release, failed: WithdrawFailed, serves: string | undefined) =>
  failed.unconfirmed && serves !== undefined && serves !== release.from ? { serves } : {};

/**
 * A failed release whose rollback did not take (the platform's words: `note`; `err`, what was
 * thrown, where the caller has it): its report says the candidate may still get live traffic, and
 * the next run tries again (retryWithdrawal).
 */
export function rollbackNotTaken(release: Release, now: number, note: string, err?: unknown): Release {
  const why = release.reason ?? `${release.to} failed`;
  const { serves: _, ...ending } = release.ending ?? {};
  const failed = withdrawFailure(why, note, err);
  // Taken but never read back (confirmed-change.ts) is no failure: the candidate is probably out.
  const took = failed.unconfirmed ? 'is unconfirmed' : 'also failed';
  return {
    ...release,
    updatedAt: now,
    reason: `${why}; the rollback to ${release.from} ${took}: ${note}`,
    withdrawPending: true,
    ending: { ...ending, withdrawFailed: failed },
  };
}

/**
 * Whether `version` gets live traffic: as the stable version (a candidate serving alone, its blue
 * gone), or a share (live or mirrored) beside it.
 */
export function hasLiveTraffic(serving: TrafficState, version: string): boolean {
  if (serving.stable.version === version) return true;
  const slotted = [serving.canary, serving.mirror, serving.rolling].some((s) => s?.version === version);
  return slotted && !sameTraffic(serving, withdrawTraffic(serving.stable.version));
}

/**
 * The version a release ended by command leaves serving alone, as its record says: the one a
 * rollback went to (`ending.serves`), the candidate itself for a rollback to it, else `from`.
 */
export function servesAfterEnd(release: Release): string {
  const { ending } = release;
  return ending?.serves ?? (ending?.rollbackToCandidate ? release.to : release.from);
}

/**
 * Whether the release's end is recorded while the traffic change that withdraws its candidate is
 * still under way (endThenWithdraw's first record): pending, naming what serves, no failure yet.
 */
export const withdrawalUnderWay = (release: Release): boolean =>
  release.withdrawPending === true &&
  release.ending?.serves !== undefined &&
  release.ending.withdrawFailed === undefined;

/**
 * Take candidate `to` out of service when it still gets live traffic beside its own stable
 * `from`, or serves alone in its place (blue gone), leaving `serves` (default `from`: a rollback's
 * target, where its record names one) alone serving; `from` still serving alone is put back to
 * `serves` too (the rollback's change has not landed). Another stable serving now (a later
 * rollback or promotion) is not this candidate's state to settle: `other`, with what serves.
 * The platform cannot tell a blue gone from a rollback to the candidate: a caller with the ledger
 * asks it first (retryWithdrawal). `target`: one whose changes are read back patiently
 * (confirmingTarget), so a withdrawal taken despite a read that failed once is one. A read that
 * fails does not stop it: `serves` alone is written all the same (see readOrWithdraw). Target
 * errors propagate: the write's, where the read failed too.
 */
export async function withdrawIfLive(
  target: Target,
  from: string,
  to: string,
  serves = from,
): Promise<{ done: 'withdrawn' } | { done: 'not-live' } | { done: 'other'; serving: string }> {
  const serving = await readOrWithdraw(target, { stable: from, candidate: to, others: [serves] }, serves);
  if (serving === 'withdrawn') return { done: 'withdrawn' };
  const stable = serving.stable.version;
  // The candidate alone, where `serves` should be: as live as at 100% beside its blue.
  const alone = stable === to && to !== serves;
  const live = hasLiveTraffic(serving, to);
  if (stable !== from && stable !== serves && !alone)
    return live ? { done: 'other', serving: stable } : { done: 'not-live' };
  if (!live && stable === serves) return { done: 'not-live' };
  if (sameTraffic(serving, withdrawTraffic(serves))) return { done: 'not-live' };
  await reconcile(target, withdrawTraffic(serves));
  return { done: 'withdrawn' };
}

/**
 * What `target` serves, or, where that read fails (a Seldon Experiment not Ready while the
 * candidate's Model is down, an endpoint the platform cannot describe now), `serves` alone written
 * anyway and read back: `withdrawn`. A withdrawal only takes traffic away, so it is safe to send
 * unread, and one held back until a read answers leaves the candidate live, for as long as the
 * platform stays unreadable and again once it recovers. No other stable can be in place meanwhile:
 * a pending withdrawal holds the model's canary slot, and a rollback by command settles it. The
 * write is read back as any is (reconcile): confirmed, or an UnconfirmedChange that says so.
 */
async function readOrWithdraw(
  target: Target,
  known: KnownVersions,
  serves: string,
): Promise<TrafficState | 'withdrawn'> {
  try {
    return await target.read(known);
  } catch (err) {
    // Busy: a change is still landing (an update past settle-timeout); writing over it would race
    // it, so the later try reads once it has landed, as before.
    if (!(err instanceof TargetError) || err instanceof TargetBusyError) throw err;
  }
  await reconcile(target, withdrawTraffic(serves));
  return 'withdrawn';
}

/**
 * Try again to take out of service the candidate of a release whose end was recorded while its
 * withdrawal failed or was still in flight, leaving what its record says serves (`servesAfterEnd`:
 * v3 after a rollback to v3, not `from`), so a run retrying while a rollback's traffic change is in
 * flight asks for the same state as the rollback. Only while the stable version is the release's
 * own or that one: a version another run put in place since came with the candidate withdrawn.
 * `ledger`, where the caller has one: a promotion or rollback recorded since the release began
 * that made its candidate the stable version (a rollback to it by command) settles the release
 * instead, the platform left alone: the candidate serving alone is then that entry's word, not a
 * blue gone (withdrawIfLive would put `from` back over the rollback). Also tells why the withdrawal
 * is still pending where the caller must say so (the abort command): `failed`, the error the try
 * met (the platform's refusal, or a defect); `defect`, that error where it is a defect (defects.ts:
 * a bug in model-gate, not the platform's answer), which the caller fails the run on once the
 * release is saved, as rollBack (tick.ts) does, rather than trying again; `serving`, the other
 * version serving now, beside which the candidate may still be live.
 */
export async function retryWithdrawal(
  release: Release,
  ctx: ReleaseContext,
  ledger?: Pick<Ledger, 'history'>,
): Promise<{ release: Release; failed?: Error; defect?: Error; serving?: string }> {
  const now = ctx.clock.now();
  const since = ledger && candidateServesSince(release, await ledger.history(release.model));
  if (since) return { release: servesOnRecord(release, since, now) };
  // Deployed on another target than this run's: a try here would say it withdrew what it never saw.
  checkSameTarget(release, ctx.target);
  try {
    const target = withdrawingTarget(ctx);
    const result = await withdrawIfLive(target, release.from, release.to, servesAfterEnd(release));
    // Another version serves now: not this release's platform state to settle.
    if (result.done === 'other') return { release, serving: result.serving };
  } catch (err) {
    // Another run moved the model on (a guarded target, watch.ts): its word stands, not this release's.
    if (err instanceof EndedElsewhereError) throw err;
    // An end recorded before its change (endThenWithdraw) whose run is gone: no longer under way.
    // It says the candidate may still get live traffic, and the next try goes back to `from`, as
    // no rollback was recorded. Any other failure: the release stays as it was (its reason says so).
    const { status } = release;
    const defect = defectOf(err, []);
    const failed = defect ?? (err instanceof Error ? err : new Error(String(err)));
    // A defect is recorded as one, as rollBack records it (its message may quote a secret).
    const note = defect ? reportIt(stoppedOn(defect)) : failed.message;
    const outcome = { failed, ...(defect ? { defect } : {}) };
    // A failed rollback sent again and taken unconfirmed: its reason no longer says it failed.
    if (release.status === 'failed' && failed instanceof UnconfirmedChange && release.ending?.withdrawFailed)
      return {
        release: rollbackNotTaken({ ...release, reason: endWhy(release) }, now, note, failed),
        ...outcome,
      };
    if (!withdrawalUnderWay(release)) return { release, ...outcome };
    if (status === 'aborted' || status === 'superseded') {
      const why = release.reason ?? `${release.to} ${status}`;
      const notTaken = withdrawFailure(why, note, failed);
      return { release: notWithdrawn(release, status, now, notTaken, release.ending?.serves), ...outcome };
    }
    // A failure recorded before its rollback (tick.ts rollBack) whose run is gone: as that run
    // reports a rollback that did not take, so its report no longer says "being withdrawn".
    if (status === 'failed') return { release: rollbackNotTaken(release, now, note, failed), ...outcome };
    return { release, ...outcome };
  }
  const failed = release.ending?.withdrawFailed;
  // A refused rollback's record reads "… its withdrawal pending": say it never took, and what serves.
  const refused = earlierRollback(release);
  const why =
    refused?.took === false ? `${refused.words}: ${servesAfterEnd(release)} still serves` : release.reason;
  return {
    release: {
      ...settled(release),
      updatedAt: now,
      reason: `${why}; ${release.to} withdrawn on a later try`,
      ...(failed ? { ending: { ...release.ending, withdrawFailed: { ...failed, laterTry: true } } } : {}),
    },
  };
}

/**
 * The ledger's last entry, where it made the release's candidate the stable version after the
 * release began (its own entries from before are earlier servings of the same version: a revert).
 */
function candidateServesSince(release: Release, history: LedgerEntry[]): LedgerEntry | undefined {
  const last = history.at(-1);
  return last?.version === release.to && last.at >= release.startedAt ? last : undefined;
}

/** A release whose candidate `entry` made the stable version since: nothing left to withdraw. */
const servesOnRecord = (release: Release, entry: LedgerEntry, now: number): Release =>
  candidateServes(
    release,
    `${release.to} was not withdrawn: it is the stable version on record since the ${entry.kind} ${entry.previous} → ${entry.version}`,
    now,
  );

/**
 * A release whose withdrawal was pending, settled with its candidate serving alone (`done`: how):
 * not withdrawn. An end by command keeps its status and says it serves (endedByRollbackToIt); a
 * failed analysis stays failed, its record naming what serves (`ending.serves`).
 */
function candidateServes(release: Release, done: string, now: number): Release {
  const byCommand = release.status === 'failed' ? {} : { rollbackToCandidate: true as const };
  return {
    ...settled(release),
    updatedAt: now,
    reason: `${done}; it had ended ${release.status}: ${earlierRollback(release)?.words ?? endWhy(release)}`,
    ending: { ...endingBesides(release), serves: release.to, ...byCommand },
  };
}

/** The release, its withdrawal no longer pending. */
const settled = ({ withdrawPending: _, ...rest }: Release): Release => rest;

/** Why the release ended, without what its withdrawal met since. */
const endWhy = (release: Release): string =>
  release.ending?.withdrawFailed?.why ?? release.reason ?? `${release.to} ${release.status}`;

/** A rollback by command's first record (commands.ts), as report/decision.ts reads it: `rolled back to v3 by …; v2 withdrawn`. */
const ROLLED_BACK_BY = /^rolled back to ((\S+) by [^:;]+)[:;]/;

/**
 * The rollback by command that ended the release, where its change did not take (`took`: false,
 * refused) or was unconfirmed: `words` say so, not the "rolled back to …" its first record said.
 * Undefined for any other end, and for a failed analysis (its rollback is to `from`).
 */
function earlierRollback(release: Release): { to: string; took: boolean; words: string } | undefined {
  const failed = release.ending?.withdrawFailed;
  const by = failed && release.status !== 'failed' ? ROLLED_BACK_BY.exec(failed.why) : null;
  if (!failed || !by?.[1] || !by[2]) return undefined;
  const took = failed.unconfirmed === true;
  return {
    to: by[2],
    took,
    words: `the rollback to ${by[1]} ${took ? 'was unconfirmed' : 'did not take'} (${failed.note})`,
  };
}

/** `done`, a settling change's words, after `why`, the end's: what both say is said once. */
function settledWords(release: Release, why: string, done: string): string {
  const earlier = earlierRollback(release);
  if (!earlier) {
    const withdrawn = `; ${release.to} withdrawn`;
    return `${why.endsWith(withdrawn) && done.startsWith(withdrawn.slice(2)) ? why.slice(0, -withdrawn.length) : why}; ${done}`;
  }
  const first = earlier.took ? 'was unconfirmed' : 'did not take';
  const { note } = release.ending?.withdrawFailed ?? {};
  return done.includes(`rollback to ${earlier.to} `)
    ? `${done} (its first try ${first}: ${note})`
    : `${done}; ${earlier.words.replace(/ (did not take|was unconfirmed) /, ' before it $1 ')}`;
}

/** What the release's ending says besides its withdrawal (a platform or smoke-test failure). */
function endingBesides(release: Release): Ending {
  const { withdrawFailed: _, serves: __, rollbackToCandidate: ___, ...kept } = release.ending ?? {};
  return kept;
}

/**
 * Settle by a command's one traffic change (a rollback) a release whose withdrawal is pending:
 * `serves` alone serves after it, the release's candidate or another version. Its status stays (a
 * failed analysis stays failed); `done`, what the change did, joins its reason. Recorded first,
 * naming what serves (endThenWithdraw's order): a run retrying the withdrawal meanwhile asks for the
 * same state, or sees the record moved on and leaves it. A refusal is recorded with the platform's
 * words, the withdrawal still pending as before the command, and returned.
 */
export async function settleWithdrawal(
  release: Release,
  change: { serves: string; done: string; attempt: string },
  ctx: ReleaseContext,
  ledger: Ledger,
  announce: Announce = () => {},
): Promise<{ release: Release; refused?: TargetError }> {
  // Deployed on another target than this run's: nothing is recorded, nothing withdrawn.
  checkSameTarget(release, ctx.target);
  const { serves, done, attempt } = change;
  const failed = release.ending?.withdrawFailed;
  const why = endWhy(release);
  const kept = endingBesides(release);
  const { first, recorded } = endRecords(ledger, announce);
  const underWay = { ...release, updatedAt: ctx.clock.now(), reason: why, ending: { ...kept, serves } };
  await first({ ...underWay, withdrawPending: true });
  try {
    await reconcile(withdrawingTarget(ctx), withdrawTraffic(serves));
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    const note = err.message;
    const notTaken = withdrawFailure(why, note, err);
    const refused: Release = {
      ...release,
      updatedAt: ctx.clock.now(),
      reason: `${why}; ${attempt} ${notTaken.unconfirmed ? 'is unconfirmed' : 'failed too'}: ${note}`,
      withdrawPending: true,
      ending: { ...kept, ...probablyServes(release, notTaken, serves), withdrawFailed: notTaken },
    };
    return { release: await recorded(refused), refused: err };
  }
  const now = ctx.clock.now();
  if (serves === release.to) return { release: await recorded(candidateServes(release, done, now)) };
  const ending = {
    ...kept,
    ...(serves === release.from ? {} : { serves }),
    ...(failed ? { withdrawFailed: { ...failed, laterTry: true as const } } : {}),
  };
  return {
    release: await recorded({
      ...settled(release),
      updatedAt: now,
      reason: settledWords(release, why, done),
      ending,
    }),
  };
}

/**
 * The release ended with `status` at `now`, its candidate out of service: a phase still running
 * is closed as withdrawn, so the report does not show it running on. `ending`: how, for the
 * report, in place of any before. Touches nothing outside.
 */
export function ended(
  release: Release,
  status: 'aborted' | 'superseded' | 'failed',
  why: string,
  now: number,
  ending?: Ending,
): Release {
  const phases = closedAsWithdrawn(release.phases, now);
  // A change to idle pending on a ready record is moot once the candidate is out of service.
  const { ending: _, idlePending: __, ...rest } = release;
  return { ...rest, status, phases, updatedAt: now, reason: why, ...(ending ? { ending } : {}) };
}

/** `phases`, the open one ended `now` as withdrawn (an end by command or a closed PR). */
const closedAsWithdrawn = (phases: Release['phases'], now: number): Release['phases'] =>
  phases.map((p) => (p.endedAt === undefined ? { ...p, endedAt: now, outcome: 'withdrawn' as const } : p));
