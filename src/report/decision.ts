import { formatDuration, formatElapsed } from '../config/duration.js';
import type { Config } from '../config/types.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import { noteNamingPr } from '../release/config-change-note.js';
import { alertsNow } from '../release/drift-alert.js';
import type { DriftReport } from '../release/drift-watch.js';
import { servesAfterEnd, withdrawalUnderWay } from '../release/finish.js';
import { atFullTraffic } from '../release/full-traffic.js';
import { fullTrafficStatus } from '../release/live-candidate.js';
import { promotionPending } from '../release/merged-ready.js';
import { METRICS_CHECK, unreadBeforeTraffic } from '../release/metrics-preflight.js';
import { idlePending } from '../release/pending-idle.js';
import {
  endedByRollbackToIt,
  endedUndecided,
  neverServedCallers,
  refusedBeforeTraffic,
  refusedChangeAdvice,
  splitMismatchAdvice,
  splitMismatchOf,
} from '../release/phase-notes.js';
import { type RunResult, type ServingState, SIBLING_LINE } from '../release/pull-request.js';
import { blueKeptUntil } from '../release/retire-blue.js';
import { rollbackToBlue } from '../release/rollback-to-blue.js';
import type { StatusServing } from '../release/status-command.js';
import { holdEndWords } from '../release/tick.js';
import type { GateState, PhaseRecord, Release, SplitMismatch } from '../release/types.js';
import { mergedPrAdvice } from '../release/withdrawn-meanwhile.js';
import { fmt, percent } from '../stats/counts.js';
import { jsBand, psiBand, wassersteinBand } from '../stats/drift.js';
import { wassersteinWords } from '../stats/histogram-wasserstein.js';
import { isRollingBatch } from '../strategies/rolling.js';
import { targetCapabilities } from '../targets/capabilities.js';
import { namesItsShare, utcMinute } from './format.js';
import { mergeLines, mixedTitle } from './mixed-outcome.js';
import { notEnoughData } from './not-enough-data.js';
import { plainReason } from './plain-note.js';
import { reopenFirst } from './reopen-first.js';
import { withoutPhaseName } from './rows.js';

/** The run's decision, worst first: one failed model makes the run failed. */
export type Decision = 'failed' | 'analysing' | 'ready' | 'promoted' | 'rolled-back' | 'aborted' | 'skipped';

/**
 * A rollback outranks a promotion: beside this run's rollback, a promotion can only be an earlier
 * run's (the stored release of the PR that introduced the version now rolled back).
 */
const ORDER: Decision[] = ['failed', 'analysing', 'ready', 'rolled-back', 'promoted', 'aborted'];

export function releaseDecision(r: Release): Decision {
  switch (r.status) {
    case 'failed':
      return 'failed';
    case 'analysing':
      return 'analysing';
    case 'ready':
      return 'ready';
    case 'promoted':
      return 'promoted';
    default:
      // Its candidate serves, put there by a rollback (that run reports the rollback): nothing was withdrawn.
      return endedByRollbackToIt(r) ? 'skipped' : 'aborted';
  }
}

/**
 * How bad a release's news is, 0 the worst, as the report's heading ranks it (runTitle): a
 * withdrawal that failed, then one under way, then the decision's ORDER; a candidate serving by a
 * rollback to it last.
 */
export function releaseSeverity(r: Release): number {
  if (r.withdrawPending && !withdrawalUnderWay(r)) return 0;
  if (withdrawalUnderWay(r)) return 1;
  const rank = ORDER.indexOf(releaseDecision(r));
  return 2 + (rank < 0 ? ORDER.length : rank);
}

export function runDecision(result: RunResult): Decision {
  const seen = new Set(result.releases.map(releaseDecision));
  if (result.rollbacks?.length) seen.add('rolled-back');
  // A drift fails the run it begins in, not each later tick that finds it still there.
  if (result.drift?.some(alertsNow)) seen.add('failed');
  return ORDER.find((d) => seen.has(d)) ?? 'skipped';
}

/**
 * The `decision` output: the run's decision, but `error` where every release it failed (and no drift)
 * is no verdict on its candidate: the platform refused its first change, the analysis could not
 * run (the platform failed mid-release, the metrics did not answer), or a sample ratio mismatch
 * made it invalid (SPEC, section 4). A workflow branching on it
 * tells a bad model (`failed`) from a fault outside it (`error`, as for a run that stopped before
 * deciding). The run fails the same either way: runDecision says so.
 */
export function outputDecision(result: RunResult): Decision | 'error' {
  const decision = runDecision(result);
  if (decision !== 'failed' || result.drift?.some(alertsNow)) return decision;
  const failed = result.releases.filter((r) => r.status === 'failed');
  const noVerdict = (r: Release) => refusedBeforeTraffic(r) || couldNotRun(r) || analysisInvalid(r);
  return failed.length > 0 && failed.every(noVerdict) ? 'error' : decision;
}

/** Who tries a pending withdrawal again, as a run that may itself be retried says it. */
const RETRY_WITHDRAWAL = 'a re-run of this job or the next schedule tick tries again';
/** The same for a status run, which retries nothing itself: naming the PR, as a status run is none's. */
const retryAfterStatus = (r: Release) =>
  `the next schedule tick or a re-run of ${r.pr === undefined ? "its PR's job" : `PR #${r.pr}'s job`} tries again, an abort command at once`;

/**
 * One sentence for one model: what happened and, when it matters, why. `readOnly`: said by a status
 * run, whose re-run would retry nothing. `namesPr`: said in a report other than the PR's own
 * comment (as a status run's always is), where `the PR's job` could be any PR's: `PR #3's job`.
 */
export function releaseSentence(r: Release, readOnly = false, now?: number, namesPr = readOnly): string {
  if (!r.withdrawPending) return endSentence(r, readOnly, now, namesPr);
  if (withdrawalUnderWay(r))
    return `${r.model}: ${changeUnderWay(r)} (its end is recorded; the platform has not confirmed the change yet)`;
  const failed = r.ending?.withdrawFailed;
  // Taken, never read back: what the platform serves is for the reader to look at, not only to retry.
  const retry = `${failed?.unconfirmed ? 'check what the platform serves, and ' : ''}${readOnly ? retryAfterStatus(r) : RETRY_WITHDRAWAL}`;
  // A rolling release's line already says on how many instances it may still run.
  if (failed && !failed.unconfirmed && rollingLeft(r)) return `${notTakenSentence(r)}; ${retry}`;
  const stuck = notTakenSentence(r);
  if (stuck) return `${stuck}; ${r.to} may still get live traffic: ${retry}`;
  // Here the platform's words are in no sentence before (a never-served candidate's, failedUnseen).
  if (failed?.unconfirmed)
    return `${endSentence(r)}. ${r.to} may still get live traffic: the platform accepted its withdrawal, but no read has confirmed it yet (${failed.note}); ${retry}`;
  const how = failed ? `withdrawing it failed (${failed.note})` : 'withdrawing it failed';
  return `${endSentence(r)}. ${r.to} may still get live traffic: ${how}, and ${retry}`;
}

/**
 * The traffic change of an end by command, recorded before the platform confirmed it
 * (withdrawalUnderWay): from the record's fields, never its words.
 */
export function changeUnderWay(r: Release): string {
  const serves = servesAfterEnd(r);
  if (serves === r.to) return `${r.to} is being put back in place of ${r.from}`;
  if (serves === r.from) return `${r.to} is being withdrawn`;
  return `${r.to} is being withdrawn, ${serves} is being put back`;
}

/**
 * The run's one-line decisions, in the order every report gives them: a rollback first (it outranks
 * a promotion it undid), per model what serves then its release (command status), each release,
 * drift (`drift` marks a drifted model's line), then the models skipped and why.
 */
export function decisionSentences(result: RunResult, drift = '', at?: ReportAt): string[] {
  const serving = result.serving ?? [];
  const sentences = (model?: string, saidBy?: Release) =>
    worstFirst(result.releases)
      .filter((r) => r !== saidBy)
      .filter((r) => (model === undefined ? !serving.some((s) => s.model === r.model) : r.model === model))
      .flatMap((r) => [reportSentence(r, result, at), ...configChangesLines(r, reportNamesPr(result, at))]);
  return [
    ...(result.rollbacks ?? []).filter((e) => !notedOn(e, result)).map(rollbackSentence),
    ...serving.flatMap((s) => [
      servingSentence(s, blueKeptNow(s, result, at)),
      ...statusGapLines(s),
      ...sentences(s.model, (s as StatusServing).prGone?.release),
    ]),
    ...sentences(),
    ...mergeLines(result),
    ...(result.drift ?? []).map((d) => `${d.drifted ? drift : ''}${d.note}`),
    ...unsaidLines(result).map(skippedSentence),
  ];
}

/** The releases, the worst news first (releaseSeverity); equal ones in the run's order. */
export const worstFirst = (releases: Release[]): Release[] =>
  [...releases].sort((a, b) => releaseSeverity(a) - releaseSeverity(b));

/** The config and time a report is made at: what it says of blue-green's blue kept warm. */
export interface ReportAt {
  config: Config;
  now: number;
  /** The report is a PR's own comment, every release in it that PR's: it says `this PR`, `the PR's job`. */
  prComment?: boolean;
}

/**
 * Whether a report of `result` names each release's PR (`PR #3 changes …`, `a re-run of PR #3's
 * job`): every report made at a known time but a PR's own comment (a command's or a schedule tick's
 * job summary, the CLI's), where `this PR` could be any, and a status run's wherever. Other lines
 * said without `at` (the short report's, whose usual place is the comment) keep the comment's words.
 */
const reportNamesPr = (result: RunResult, at: ReportAt | undefined): boolean =>
  result.serving !== undefined || (at !== undefined && at.prComment !== true);

/**
 * The end of blue-green's rollback-window after `model`'s promotion at `promotedAt`, while it runs
 * at the report's time; else undefined (another strategy, or the window is over).
 */
function windowRunsUntil(model: string, promotedAt: number, at: ReportAt | undefined): number | undefined {
  const config = at?.config.models[model];
  const until = config && blueKeptUntil(config, promotedAt);
  return until === undefined || at === undefined || at.now >= until ? undefined : until;
}

/**
 * `; v1 kept warm at 0% for a rollback until …` of blue-green's promotion over `blue` at
 * `promotedAt`, while its rollback-window runs at the report's time; else nothing.
 */
function keptWarm(model: string, blue: string, promotedAt: number, at: ReportAt | undefined): string {
  const until = windowRunsUntil(model, promotedAt, at);
  if (until === undefined) return '';
  return `; ${blue} kept warm at 0% for a rollback until ${utcMinute(until)} (rollback-window ${formatDuration(until - promotedAt)})`;
}

/**
 * What a blue-green promotion's report says of blue (`r.from`) while its rollback-window runs: kept
 * warm, or, on a target that keeps no blue (KServe routes green alone: capabilities.ts keepsBlue),
 * that a rollback deploys it again, as that platform does, in one change.
 */
function blueAfterPromotion(r: Release, at: ReportAt | undefined): string {
  const type = at?.config.models[r.model]?.target.type;
  if (type === undefined || targetCapabilities(type).keepsBlue)
    return keptWarm(r.model, r.from, r.updatedAt, at);
  if (windowRunsUntil(r.model, r.updatedAt, at) === undefined) return '';
  return notKeptOn(type, r.from, r.to);
}

/** `; v1 is not kept warm: …` of a target that routes green alone once promoted (keepsBlue false). */
const notKeptOn = (type: string, blue: string, green: string) =>
  `; ${blue} is not kept warm: the ${type} target routes ${green} alone, so ${rollbackToBlue(blue, false)}, with a cold start`;

/**
 * What a status run says of blue kept warm for the version a model serves: only where the ledger's
 * last word is its promotion, no release of the model is in flight (its candidate takes blue's slot)
 * and the target still has blue deployed (status-command.ts); where it has not (a later release's
 * candidate took its place, or someone removed it), that a rollback must deploy it again.
 */
function blueKeptNow(s: ServingState, result: RunResult, at: ReportAt | undefined): string {
  const last = s.last;
  if (last?.kind !== 'promotion' || last.version !== s.version || s.candidate) return '';
  if (result.releases.some((r) => r.model === s.model)) return '';
  // A platform that keeps no blue was never asked: the promotion's words hold while the window runs.
  const type = at?.config.models[s.model]?.target.type;
  if (type !== undefined && !targetCapabilities(type).keepsBlue)
    return windowRunsUntil(s.model, last.at, at) === undefined
      ? ''
      : notKeptOn(type, last.previous, last.version);
  const blue = (s as StatusServing).blue;
  if (!blue || blue.version !== last.previous) return '';
  const kept = keptWarm(s.model, blue.version, last.at, at);
  if (blue.deployed || !kept) return kept;
  return `; ${blue.version} is no longer kept warm for a rollback: ${blue.target} reports it not deployed beside ${last.version}, so ${rollbackToBlue(blue.version, blue.redeployFirst)}`;
}

/** A model skipped and why; `*` for the whole run. */
export const skippedSentence = (s: RunResult['skipped'][number]) =>
  s.model === '*' ? s.why : `${s.model}: ${s.why}`;

/**
 * What the release's PR changes of its release config, as its record keeps it: said with the
 * release wherever it is reported (a schedule tick's report too, whose lines are its own), naming
 * the PR (`namesPr`) in any report but the PR's own comment.
 */
export const configChangesLines = (r: Release, namesPr = false): string[] => {
  if (!r.configChanges) return [];
  const note =
    namesPr && r.pr !== undefined ? noteNamingPr(r.configChanges.note, r.pr) : r.configChanges.note;
  return [`${r.model}: ${note}`];
};

/** The run's lines but those a release's record says already (its config changes): each said once. */
export const unsaidLines = (result: RunResult): RunResult['skipped'] =>
  result.skipped.filter(
    (s) => !result.releases.some((r) => r.model === s.model && r.configChanges?.note === s.why),
  );

/**
 * A release's sentence in a report of `result`: a promotion that a rollback in the same result
 * undid (the comment of the PR that brought the version in) says so, not only that it was promoted.
 */
export function reportSentence(r: Release, result: RunResult, at?: ReportAt): string {
  const since = rolledBackSince(r, result);
  // Promoted: what of blue-green's blue is kept warm, said where the report's time is known.
  if (!since && r.status === 'promoted' && !r.withdrawPending)
    return `${releaseSentence(r, false, at?.now, reportNamesPr(result, at))}${blueAfterPromotion(r, at)}`;
  // A status run (it lists what serves) reads only.
  if (!since) return releaseSentence(r, result.serving !== undefined, at?.now, reportNamesPr(result, at));
  return `${r.model} ${r.to} was promoted (replacing ${r.from}), since rolled back to ${since.version}`;
}

/**
 * A release's status as a report of `result` heads it: `promoted, since rolled back to v1`; in a
 * status run's, one whose PR GitHub closed or merged with no job recording it is no release to
 * merge (prGoneLine): `ready, yet PR #7 is closed: not promoted`.
 */
export function reportStatus(r: Release, result: RunResult): string {
  if (withdrawalUnderWay(r)) return `${r.status}, change under way`;
  if (promotionPending(r)) return 'merged, promotion pending';
  const gone = (result.serving as StatusServing[] | undefined)?.find((s) => s.prGone?.release === r)?.prGone;
  if (gone) return `${releaseWord(r)}, yet PR #${r.pr} is ${gone.state}: not promoted`;
  const since = rolledBackSince(r, result);
  return since ? `promoted, since rolled back to ${since.version}` : releaseWord(r);
}

/**
 * The word the report's heading gives a release (runTitle), for its own heading, its short line and
 * its commit status: `rolled back`, not the record's `failed`; `withdrawn`, not `superseded`.
 */
export function releaseWord(r: Release): string {
  if (r.withdrawPending && !withdrawalUnderWay(r)) {
    const state = r.ending?.withdrawFailed?.unconfirmed ? 'unconfirmed' : 'incomplete';
    return `${rollbackRefused(r) ? 'rollback' : 'withdrawal'} ${state}`;
  }
  switch (r.status) {
    case 'failed':
      if (notDeployed(r) || refusedBeforeTraffic(r)) return 'not deployed';
      return rolledBack(r) ? 'rolled back' : 'failed';
    case 'aborted':
    case 'superseded':
      // Its candidate serves, by a rollback to it; or its record alone was ended: nothing withdrawn.
      return endedByRollbackToIt(r) || r.ending?.recordOnly ? r.status : 'withdrawn';
    default:
      return r.status;
  }
}

/** The rollback in `result` that took a promoted release's version out of service. */
const rolledBackSince = (r: Release, result: RunResult): LedgerEntry | undefined =>
  r.status === 'promoted'
    ? result.rollbacks?.find((e) => e.model === r.model && e.previous === r.to)
    : undefined;

// Said by a schedule tick too, which has no max-wait and is not the PR's job: true for both writers.
// `namesPr`: in a report other than the PR's own comment, which PR's job: `PR #3's job`.
const continuesAfter = (r: Release, namesPr: boolean) =>
  `the next schedule tick (command: tick), or a re-run of ${namesPr && r.pr !== undefined ? `PR #${r.pr}'s` : "the PR's"} job, continues the analysis`;

/**
 * What continues an analysing release: while a PR's job in watch mode holds its lease
 * (watch-lease.ts), that job looks again until its max-wait, and then a tick or a re-run does.
 */
function continues(r: Release, namesPr: boolean): string {
  if (r.watchedUntil === undefined) return continuesAfter(r, namesPr);
  const job = r.pr === undefined ? 'the job watching it' : `the job of PR #${r.pr}`;
  return `${job} looks again until its max-wait; then ${continuesAfter(r, namesPr)}`;
}

/**
 * An analysing release's reason, true at the report's time `now`: one waiting for its hold's end
 * (tick.ts holdEndWords) says the time left then, or that the hold has ended; a report made long
 * after the tick (a sibling job's, a status run's) would else repeat the minutes left at the tick.
 * Without `now`, or with another reason since, the reason as stored (its end a time, still true).
 */
function reasonAt(r: Release, now: number | undefined): string | undefined {
  const end = r.holdEndsAt;
  const words = end === undefined ? '' : holdEndWords(end);
  if (now === undefined || end === undefined || !r.reason?.endsWith(words)) return r.reason;
  const phase = r.reason.slice(0, -words.length);
  return end > now
    ? `${phase}: waiting for the end of the hold (${formatElapsed(end - now)} left)`
    : `${phase}: the hold ended at ${utcMinute(end)}, its gates passed at the last look`;
}

/**
 * How to analyse a candidate again whose analysis could not run. A failed head is not analysed
 * again on the same commit (pull-request.ts restartsOnReopen): a new commit is; one whose metrics
 * met only passing faults before any traffic is (unreadBeforeTraffic). A merged PR takes none, and
 * its base branch declares the candidate already: a new PR declaring it again is needed.
 */
function retryAdvice(r: Release): string {
  // Its reason says when to re-run: the check judged nothing, so the same commit is analysed again
  // (by a reopening too: a closed PR's close job analyses nothing).
  if (unreadBeforeTraffic(r) && r.mergedAt === undefined)
    return `nothing of ${r.to} was judged, so a re-run of this job analyses this commit again; if the PR was closed, reopening it does`;
  const fault = 'the analysis could not run, a fault outside the candidate';
  if (r.mergedAt === undefined)
    return `${fault}: once it is fixed, push a new commit (an empty one will do) to analyse again, as a failed commit is not analysed again${reopenFirst(r)}`;
  return `${fault}; once it is fixed: ${mergedPrAdvice(r.to, servesAfterEnd(r), 'its version')}`;
}

/**
 * `readOnly`: said by a status run, whose line of what serves says a rolled-out candidate serves;
 * `now`: the report's time, where known; `namesPr`: as releaseSentence's.
 */
function endSentence(r: Release, readOnly = false, now?: number, namesPr = readOnly): string {
  switch (r.status) {
    case 'analysing':
      return `${r.model} ${r.to}: ${reasonAt(r, now) ?? 'analysing'}; ${continues(r, namesPr)}`;
    case 'ready': {
      const ready = promotionPending(r)
        ? `${r.model} ${r.to}: merged; promotion pending: ${r.reason ?? 'the next schedule tick promotes it'}`
        : `${readySentence(r)}${rolledOut(r) && !readOnly ? `; ${ROLLED_OUT}` : ''}`;
      return idlePending(r) ? `${ready}; ${idlePendingWords(r)}` : ready;
    }
    case 'failed':
      if (notDeployed(r)) return notDeployedSentence(r);
      // The reason has the platform's words; what fixes it is no retry.
      if (refusedBeforeTraffic(r))
        return `${r.model} ${r.reason}; ${refusedChangeAdvice(r)}${r.mergedAt === undefined ? reopenFirst(r) : ''}`;
      if (neverServedCallers(r))
        return `${r.model} ${r.to} ${failedUnseen(r)}${couldNotRun(r) ? `; ${retryAdvice(r)}` : ''}`;
      return rolledBackSentence(r);
    case 'promoted':
      return `${r.model} ${r.to} was promoted (replacing ${r.from})`;
    case 'aborted':
    case 'superseded': {
      if (endedByRollbackToIt(r)) return `${r.model} ${r.reason}`;
      if (r.ending?.recordOnly) return `${r.model} ${r.to} was not withdrawn: ${r.reason}`;
      const notTaken = rollbackNotTakenWithdrawn(r);
      return notTaken ? `${r.model} ${notTaken}` : `${r.model} ${r.to} was withdrawn: ${withdrawnWhy(r)}`;
    }
  }
}

/**
 * A ready rolling release: its last batch put the candidate on every instance, where it stays
 * (rolling has no idle state), so it already serves all live traffic; the merge's promotion makes
 * it the stable version without moving traffic. Said so that no reader takes the stable one to serve.
 */
const rolledOut = (r: Release) => {
  const last = r.phases.at(-1);
  return last !== undefined && isRollingBatch(last.name) && atFullTraffic(last) && last.outcome === 'passed';
};

const ROLLED_OUT =
  'it already serves all live traffic, on every instance (a rolling update has no idle state): merging records it as the stable version, with no traffic change';

/** A ready candidate whose change to idle is not confirmed (pending-idle.ts): it may keep its traffic. */
const idlePendingWords = (r: Release) =>
  `${r.to} may still get its last phase's traffic: the change to idle after it is not confirmed yet, and the job's post step, a re-run of the job or the next schedule tick makes it`;

/**
 * Ready, and whether every gate decided: must-have-data: false lets a phase end without a decision
 * from every gate, the last phase (its gates still pending) or an earlier one (its record says so).
 */
function readySentence(r: Release): string {
  const earlier = r.phases.slice(0, -1).filter(endedUndecided);
  const undecided = r.gates.filter((g) => g.verdict !== 'pass').map((g) => g.name);
  const last = r.phases.at(-1);
  const words = earlier.map((p) => `${p.name} ${p.note}`);
  if (undecided.length > 0)
    words.push(
      earlier.length > 0 && last && endedUndecided(last)
        ? `${last.name} ${last.note}`
        : `${undecided.join(', ')} did not decide by the deadline`,
    );
  if (words.length === 0)
    return `${r.model} ${r.to} passed every gate and is ready to merge${winnerWords(r)}${mirroredOnly(r)}`;
  const which = words.length === 1 ? 'the phase' : 'those phases';
  return `${r.model} ${r.to} is ready to merge, but ${words.join('; ')} (must-have-data: false let ${which} pass)`;
}

/**
 * `: conversion 33.00% on v2 vs 30.00% on v1, a significant winner (relative lift +10.0%)`: what a
 * ready A/B won by, from its conversion gate's note (stats/conversion.ts); nothing for any other.
 */
function winnerWords(r: Release): string {
  for (const g of r.gates) {
    if (g.kind !== 'conversion' || g.verdict !== 'pass') continue;
    const won = WINNER.exec(g.last?.note ?? '');
    if (won)
      return `: ${g.name} ${won[2]} on ${r.to} vs ${won[3]} on ${r.from}, ${won[1]} (relative lift ${won[4]})`;
  }
  return '';
}

/** A conversion note's pass on a winner: `v2 converts better than v1, a significant winner: 33.00% vs 30.00% (lift +10.0%; …`. */
const WINNER = /, (a significant winner(?: \(lower is better\))?): (\S+) vs (\S+) \(lift ([^;)]+)/;

/**
 * `; v2 never served a user: …`: a ready candidate that only answered copies of requests (a shadow),
 * so that "ready to merge" does not read as tried on users.
 */
function mirroredOnly(r: Release): string {
  return neverServedCallers(r)
    ? `; ${r.to} never served a user: it answered copies of live requests, its answers never returned`
    : '';
}

/**
 * Rolled back, to what serves after it, and why; a rollback that failed first and took on a later
 * try says so in that order; one that failed only because the analysis could not run says how to
 * try again. One whose end left the candidate itself serving (a rollback to it by command while
 * its withdrawal was pending) was not rolled back: its reason says so, and why it failed.
 */
function rolledBackSentence(r: Release): string {
  const serves = servesAfterEnd(r);
  if (serves === r.to) return `${r.model} ${r.reason ?? `${r.to} now serves as stable`}`;
  const failed = r.ending?.withdrawFailed;
  const why = failed?.why ?? r.reason ?? '';
  const later = failed?.laterTry === true;
  const when = later ? ' on a later try' : '';
  const first = later
    ? ` (the first rollback failed${failed && sameWay(why, failed.note) ? ' the same way' : `: ${failed?.note}`})`
    : '';
  if (couldNotRun(r))
    return `${r.model} ${r.to} was rolled back to ${serves}${when} without a verdict on it (${why})${first}; ${retryAdvice(r)}`;
  if (analysisInvalid(r))
    return `${r.model} ${r.to} was rolled back to ${serves}${when} without a verdict on it: the split the platform served differs from the configured one, so the arms' metrics cannot be compared (${plainReason(why)})${first}; ${splitMismatchAdvice(r)}`;
  const few = notEnoughData(r);
  if (few)
    return `${r.model} ${r.to} was rolled back to ${serves}${when}: not enough data: ${few.what}${first}; ${few.next}`;
  return `${r.model} ${r.to} was rolled back to ${serves}${failedAt(r, why)}${when}: ${plainReason(why)}${first}`;
}

/**
 * ` in step 2 of 3 (25% of live traffic)`: where a rollback's candidate failed, how much live
 * traffic it had then; nothing where its reason names the phase already (an A/B's end, a smoke test).
 */
function failedAt(r: Release, why: string): string {
  const phase = r.phases.at(-1);
  if (!phase || why.includes(phase.name)) return '';
  const share = phase.weight > 0 && !namesItsShare(phase);
  return ` in ${phase.name}${share ? ` (${phase.weight}% of live traffic)` : ''}`;
}

/**
 * A release whose rollback or withdrawal the platform refused, as what did not happen: it was
 * not rolled back (withdrawn), and why it was to be. Undefined where its state does not say so
 * (a state stored before Release.ending).
 */
function notTakenSentence(r: Release): string | undefined {
  const failed = r.ending?.withdrawFailed;
  if (!failed) return undefined;
  if (r.status === 'failed') {
    if (neverServedCallers(r)) return undefined;
    // Taken but never read back, as a withdrawal's below: probably done, no refusal.
    if (failed.unconfirmed)
      return `${r.model} ${r.to} is probably rolled back to ${r.from}: the platform accepted its rollback (rolling back because ${failed.why}), but no read has confirmed it yet (${failed.note})`;
    const rolling = rollingLeft(r);
    if (rolling?.refused)
      return `${r.model} ${r.to} may still run ${rolling.on} (${rolling.batch}, the last the platform took): ${
        sameWay(failed.why, failed.note)
          ? `the switch to ${rolling.refused} and the rollback to ${r.from} both failed: ${failed.note}`
          : `the switch to ${rolling.refused} failed (${failed.why}), and the rollback to ${r.from} failed: ${failed.note}`
      }`;
    if (rolling)
      return `${r.model} ${r.to} may still run ${rolling.on} (${rolling.batch}): the rollback to ${r.from} failed: ${failed.note} (rolling back because ${sameWay(failed.why, failed.note) ?? failed.why})`;
    return `${r.model} ${r.to} could not be rolled back to ${r.from}: ${failed.note} (rolling back because ${sameWay(failed.why, failed.note) ?? failed.why})`;
  }
  // A rollback by command whose one change was refused: its words say it happened (`rolled back to
  // v3 by workflow_dispatch; …`), and it did not, no more than the withdrawal.
  const rollback = ROLLED_BACK_BY.exec(failed.why);
  // Taken but never read back: probably done, which no read has confirmed; no refusal.
  if (failed.unconfirmed) {
    const change = rollback
      ? `the platform accepted the rollback to ${rollback[1]} that was to withdraw it`
      : `the platform accepted its withdrawal (withdrawing because ${withoutWithdrawn(r, failed.why)})`;
    return `${r.model} ${r.to} is probably withdrawn: ${change}, but no read has confirmed it yet (${failed.note})`;
  }
  if (rollback)
    return `${r.model} ${r.to} could not be withdrawn: ${failed.note} (the rollback to ${rollback[1]} that was to withdraw it did not take either)`;
  return `${r.model} ${r.to} could not be withdrawn: ${failed.note} (withdrawing because ${withoutWithdrawn(r, failed.why)})`;
}

/** A rolling batch's name gives its instances (rolling.ts batchName): `batch 2 of 4 (2/4 instances)`. */
const BATCH_INSTANCES = /\((\d+)\/(\d+) instances\)$/;

/**
 * Where a failed rolling release whose rollback did not take may still run: on the instances of
 * the last batch the platform took (`on 2 of 4 instances`, `batch 2 of 4`), and the batch whose
 * switch failed (`refused`) when that is why it failed (PhaseRecord.switchFailed). Undefined for
 * other strategies.
 */
export function rollingLeft(r: Release): { on: string; batch: string; refused?: string } | undefined {
  const last = r.phases.at(-1);
  if (r.status !== 'failed' || !last || !isRollingBatch(last.name)) return undefined;
  const switchFailed = last.switchFailed ?? switchFailedBeforeFlag(r, last);
  const taken = switchFailed ? r.phases.at(-2) : last;
  const refused = switchFailed ? { refused: last.name } : {};
  const [, replaced, instances] = BATCH_INSTANCES.exec(taken?.name ?? '') ?? [];
  // Its first batch refused: no batch was taken, and the line says what the platform said.
  if (!taken || replaced === undefined || instances === undefined) return undefined;
  const on = replaced === instances ? 'on every instance' : `on ${replaced} of ${instances} instances`;
  return { on, batch: withoutInstances(taken.name), ...refused };
}

/**
 * A record stored before PhaseRecord.switchFailed: tick.ts's enterPhase recorded a failed switch as
 * its phase failed the moment it began, the platform failing.
 */
const switchFailedBeforeFlag = (r: Release, last: PhaseRecord) =>
  r.ending?.platformFailed === true && last.outcome === 'failed' && last.endedAt === last.startedAt;

const withoutInstances = (name: string) => name.replace(BATCH_INSTANCES, '').trim();

/**
 * `why` ending with the platform's `note` (`the serving platform failed: <note>`), said `the same
 * way`: where the step and its rollback met one refusal (a permission the token lacks), its words
 * and their fix once, not twice in a row. Undefined where `why` does not end with it.
 */
function sameWay(why: string, note: string): string | undefined {
  const tail = `: ${note}`;
  return why.endsWith(tail) ? `${why.slice(0, -tail.length)} the same way` : undefined;
}

/**
 * Why a release was withdrawn, and what serves since, as a rollback's sentence says it (`rolled
 * back to v1`): its reason without the `; v2 withdrawn` the sentence already says. One whose
 * withdrawal is still pending keeps its reason as it is: what serves is not settled.
 */
function withdrawnWhy(r: Release): string {
  if (r.withdrawPending || r.reason === undefined) return r.reason ?? `${servesAfterEnd(r)} serves`;
  return `${withoutWithdrawn(r, r.reason)}; ${servesAfterEnd(r)} serves`;
}

/** `why` without the `; v2 withdrawn` that ends the reason of a withdrawal that was to be (the PR closed, a rollback). */
function withoutWithdrawn(r: Release, why: string): string {
  const done = `; ${r.to} withdrawn`;
  return why.endsWith(done) ? why.slice(0, -done.length) : why;
}

/**
 * A release a rollback by command was to end, the platform refusing it, whose candidate a later
 * run withdrew (retryWithdrawal) leaving another version serving than the rollback's: its reason
 * says `rolled back to v3 by …`, and v1 serves. What serves, and that the rollback did not take,
 * from the candidate on (`v2 was withdrawn …`): the report's line and the commit status both say it.
 */
export function rollbackNotTakenWithdrawn(r: Release): string | undefined {
  const failed = r.ending?.withdrawFailed;
  const rollback = failed?.laterTry ? ROLLED_BACK_BY.exec(failed.why) : null;
  const serves = servesAfterEnd(r);
  if (!failed || !rollback || rollback[2] === serves) return undefined;
  return `${r.to} was withdrawn on a later try, which left ${serves} serving, not ${rollback[2]}: the rollback to ${rollback[1]} that was to withdraw it did not take (${failed.note})`;
}

/**
 * Where a release whose withdrawal did not take may still serve, as a line heading it says:
 * `may still run on 2 of 4 instances` (rolling), `may still take all live traffic` (a blue-green
 * bake, a canary at 100%), else `may still get live traffic`.
 */
export function mayStillServe(r: Release): string {
  const rolling = rollingLeft(r);
  if (rolling) return `may still run ${rolling.on}`;
  return tookAllTraffic(r) ? 'may still take all live traffic' : 'may still get live traffic';
}

/** How commands.ts begins the reason of a release its rollback ends: `rolled back to v3 by workflow_dispatch`, then `;` or `:`. */
const ROLLED_BACK_BY = /^rolled back to ((\S+) by [^:;]+)[:;]/;

/**
 * A failure that is no verdict on the candidate: the serving platform failed, or every failed
 * gate failed on query errors (its metrics or webhook did not answer, consecutive-error-limit).
 */
export function couldNotRun(r: Release): boolean {
  if (r.status !== 'failed' || notDeployed(r)) return false;
  if (r.ending?.platformFailed === true) return true;
  // A refused request (an unknown version) is the candidate's to fix; refused access is not.
  if (refusedBeforeTraffic(r)) return r.ending?.firstChangeRefused === 'access';
  const failed = r.gates.filter((g) => g.verdict === 'fail');
  return failed.length > 0 && failed.every((g) => g.last?.verdict === 'error');
}

/**
 * A failure that is no verdict on the candidate either: its split check found a sample ratio
 * mismatch, so what the gates saw of the arms does not count (SPEC, section 4). Its candidate is
 * withdrawn all the same.
 */
export const analysisInvalid = (r: Release): boolean => splitMismatchOf(r) !== undefined;

/**
 * Failed where it answered no caller (a smoke test on green, a shadow run): nothing was rolled back.
 * Why in the smoke test's own words (the reason names the phase again), else the reason as it was
 * before a failed withdrawal added to it, without the phase's name an older engine put first (a
 * state stored before Release.ending.smokeFailed).
 */
function failedUnseen(r: Release): string {
  const phase = r.phases.at(-1)?.name ?? '';
  const failed = r.ending?.withdrawFailed;
  const reason = failed?.why ?? r.reason;
  const why =
    r.ending?.smokeFailed?.note ?? (reason === undefined ? reason : withoutPhaseName(reason, phase));
  // Ended before its first traffic change: the reason says it was not deployed (or withdrawn).
  const withdrawn =
    r.withdrawPending || phase === METRICS_CHECK
      ? ''
      : ` and was withdrawn${failed?.laterTry ? ` on a later try (the first try failed: ${failed.note})` : ''}`;
  return `failed in ${phase}: ${why === undefined ? why : plainReason(why)}; it never served callers${withdrawn}`;
}

export const DECISION_TITLE: Record<Decision, string> = {
  failed: '❌ Rolled back',
  analysing: '⏳ Analysing',
  ready: '✅ Ready to merge',
  promoted: '🚀 Promoted',
  'rolled-back': '↩️ Rolled back by command',
  aborted: '⏹️ Withdrawn',
  skipped: 'ℹ️ Nothing to release',
};

/**
 * The report's heading: the decision's; a candidate whose withdrawal failed comes first, then one
 * whose withdrawal by command is under way; a run that changed nothing says why (a dry run, a
 * queue); failures that are no verdict on their candidates say the analysis could not run. A status
 * report says it is one (statusTitle).
 */
export function reportTitle(result: CommandRun): string {
  return result.serving === undefined ? runTitle(result) : statusTitle(result);
}

/**
 * A run's result with the command that ran it, where its caller knows it (the action's
 * workflow_dispatch): a rollback that changed nothing is headed as a rollback, not as a run with
 * nothing to release.
 */
export type CommandRun = RunResult & { command?: string };

/**
 * command status: `ℹ️ Status: nothing in flight`, or with what is in flight as a run's heading
 * words it (`⏳ Status: analysing`, `⚠️ Status: rollback incomplete: …`). A version taking all live
 * traffic that no release on record put there is said, as no release is in flight. What the target
 * and the ledger disagree on, a release whose PR GitHub closed or merged with no job recording it,
 * and a drift found or on record make it a warning (statusGapLines says which): the ended release
 * of a candidate the target still serves is no release in flight, and one whose PR is gone is no
 * release ready to merge.
 */
function statusTitle(result: RunResult): string {
  const serving = (result.serving ?? []) as StatusServing[];
  const endedLive = new Set(serving.flatMap((s) => (s.offRecord?.ended ? [s.offRecord.ended] : [])));
  const gone = serving.flatMap((s) => (s.prGone ? [s.prGone] : []));
  const releases = result.releases.filter((r) => !endedLive.has(r) && !gone.some((g) => g.release === r));
  const offRecord = serving.some((s) => s.offRecord);
  const warnings = [...gone.map(prGoneTitle), ...new Set(serving.flatMap(driftTitle))];
  const also = warnings.length === 0 ? '' : `; ${warnings.join('; ')}`;
  if (releases.length === 0) {
    if (offRecord) return `⚠️ Status: no release in flight, yet a candidate gets live traffic${also}`;
    if (serving.some((s) => s.candidate && !s.candidate.onRecord))
      return `${also ? '⚠️' : 'ℹ️'} Status: no release in flight, yet a version outside model-gate takes all live traffic${also}`;
    if (gone.length > 0) return `⚠️ Status: ${warnings.join('; ')}`;
    return also ? `⚠️ Status: nothing in flight${also}` : 'ℹ️ Status: nothing in flight';
  }
  const [mark, ...words] = runTitle({ ...result, releases }).split(' ');
  const differs = offRecord || serving.some((s) => s.notAsRecorded);
  const all = [...(differs ? ['the target differs from the ledger'] : []), ...warnings];
  if (all.length === 0) return `${mark} Status: ${lowerFirst(words.join(' '))}`;
  return `${mark === '❌' ? mark : '⚠️'} Status: ${lowerFirst(words.join(' '))}; ${all.join('; ')}`;
}

/** A status heading's words on a release whose PR GitHub closed or merged with no job recording it. */
const prGoneTitle = ({ release: r, state }: NonNullable<StatusServing['prGone']>) =>
  state === 'closed'
    ? `PR #${r.pr} is closed, yet ${r.to} still holds the canary slot`
    : `PR #${r.pr} is merged, yet ${r.to} is not promoted`;

/** A status heading's words on a model's drift: found by this look and not on record yet, or on record. */
function driftTitle(s: StatusServing): string[] {
  if (s.driftLook?.record?.change === 'began') return ['drift found (not alerted yet)'];
  return s.drifting ? ['still drifting (alerted before)'] : [];
}

/**
 * command status's lines on what the target and the ledger disagree on for one model, a release
 * whose PR is gone, and its drift watch's look (status-command.ts StatusServing), after the line of what serves.
 */
function statusGapLines(s: StatusServing): string[] {
  const lines: string[] = [];
  const { offRecord, notAsRecorded: differs } = s;
  if (offRecord) {
    const { version, share, ended } = offRecord;
    const pr = ended?.pr === undefined ? '' : ` (PR #${ended.pr})`;
    const why = ended
      ? `its release${pr} ended ${releaseWord(ended)}${ended.ending?.recordOnly ? ', its record alone: nothing was withdrawn' : ''}`
      : // A ledger may not keep ended releases where a status finds them (GitHub's: the PRs' comments).
        'its record ended without taking it out, or it was changed outside model-gate';
    lines.push(
      `${s.model}: ${version} gets live traffic too, ${share}, beside ${s.version}, yet no release of it is in flight on record (${why}); model-gate withdraws only a candidate in flight: take ${version} out on the platform`,
    );
  }
  if (differs) {
    const { release: r, weight, live } = differs;
    const phase = r.phases.at(-1)?.name;
    const gets = live === 'none' ? `none: ${s.version} serves alone` : live;
    // Finding no traffic, the engine ends the release withdrawn (withdrawn-meanwhile.ts); else it goes on from there.
    const records = live === 'none' ? `records ${r.to} withdrawn` : 'goes on from what it finds';
    const job = r.pr === undefined ? 'its job' : `PR #${r.pr}'s job`;
    lines.push(
      `${s.model}: the ledger has ${r.to} ${r.status}${phase ? ` (${phase})` : ''} on ${weight}% of live traffic, yet the target gives ${r.to} ${gets}; the next schedule tick or a re-run of ${job} reads the target again and ${records}`,
    );
  }
  if (s.prGone) lines.push(prGoneLine(s.prGone));
  return [...lines, ...driftLines(s)];
}

/**
 * A release whose PR GitHub closed or merged while no job recorded it (cancelled, lost, or still
 * running): what holds the slot and serves, and what to do, in place of "ready to merge".
 */
function prGoneLine({ release: r, state, live }: NonNullable<StatusServing['prGone']>): string {
  const phase = r.phases.at(-1)?.name;
  const what =
    r.status === 'ready' ? 'ready: it passed its analysis' : `analysing${phase ? ` ${phase}` : ''}`;
  const traffic = live === undefined ? 'with no live traffic' : `and gets live traffic ${live}`;
  const holds = `still holds the model's canary slot, ${traffic}`;
  const job = state === 'closed' ? 'close job' : 'merge job';
  const how = `${state === 'closed' ? 'was closed without merging' : 'was merged'}, yet no ${job} recorded it (cancelled or lost, unless it is still running)`;
  if (state === 'merged')
    return `${r.model}: PR #${r.pr} ${how}: ${r.to} (${what}) is not promoted and ${holds}; no schedule tick promotes it: re-run the merge job of PR #${r.pr}`;
  return `${r.model}: PR #${r.pr} ${how}, so nobody can merge it: ${r.to} (${what}) ${holds}. To withdraw it, run the workflow with command: abort, model: ${r.model} (a schedule tick withdraws it too); to merge it instead, reopen PR #${r.pr}`;
}

/** Which run alerted a drift on record first, as a tick says it (drift-alert.ts withRecord). */
const firstAlerted = (d: { by?: string }) => `first alerted by ${d.by ?? 'the tick then'}`;

/**
 * The drift watch's look a status run took (StatusServing.driftLook): when, the statistics with
 * their bands, the level, drifted or not, and whether a drift is on record, or why it gave no
 * verdict. Without a look (no watch, the target unread), a drift on record, not over.
 */
function driftLines(s: StatusServing): string[] {
  const { driftLook: look, drifting } = s;
  const onRecord =
    drifting && `a drift on record since ${utcMinute(drifting.since)} (${firstAlerted(drifting)})`;
  if (!look)
    return onRecord
      ? [`${s.model} ${s.version}: ${onRecord}, not over; this status run did not look again`]
      : [];
  const { report: r, at, maxPsi, record, recordUnread } = look;
  const when = `looked at ${utcMinute(at)} by this status run, recording nothing`;
  const unread = recordUnread ? `; whether a drift is on record could not be read (${recordUnread})` : '';
  const sizes = r.sizes;
  if (r.inconclusive || sizes === undefined)
    return [`${r.note} (${when})${onRecord ? `; ${onRecord}, not over` : ''}${unread}`];
  const band = psiBand(sizes.psi);
  const js = jsBand(sizes.jensenShannon);
  const w = wassersteinBand(sizes);
  const stats = `PSI ${fmt(sizes.psi)}${band ? ` (${band} shift)` : ''}, Jensen-Shannon ${fmt(sizes.jensenShannon)}${js ? ` (${js} shift)` : ''}, ${wassersteinWords(sizes)}${w ? ` (${w})` : ''}, KS distance ${fmt(sizes.ks)}`;
  const verdict = r.drifted
    ? 'drifted'
    : sizes.psi >= maxPsi
      ? 'no drift shown (too few predictions to tell the windows apart)'
      : 'no drift';
  const said =
    record?.change === 'began'
      ? `; found now, not recorded: the next schedule tick alerts; ${r.nextStep}`
      : record?.change === 'continues'
        ? `; on record since ${utcMinute(record.since)} (${firstAlerted(record)}): no new alert until it ends; ${r.nextStep}`
        : record?.change === 'ended'
          ? `; the drift on record since ${utcMinute(record.since)} (${firstAlerted(record)}) is over by this look: the next schedule tick records its end`
          : '';
  return [
    `${s.model} ${r.version}: drift watch ${when}: ${stats}; level (max-psi) ${maxPsi}: ${verdict}${said}${unread}`,
  ];
}

function runTitle(result: CommandRun): string {
  const stuck = result.releases.filter((r) => r.withdrawPending && !withdrawalUnderWay(r));
  if (stuck.length > 0) return incompleteTitle(stuck);
  if (result.releases.some((r) => r.ending?.recordOnly))
    return '⚠️ Record ended by hand: a candidate may still serve on another target';
  const underWay = result.releases.find(withdrawalUnderWay);
  // Nothing failed: the command's one traffic change is under way (a platform may take minutes).
  if (underWay)
    return `⏳ ${servesAfterEnd(underWay) === underWay.from ? 'Withdrawing' : 'Rolling back'}: ${changeUnderWay(underWay)}`;
  const decision = runDecision(result);
  // Drifted yet skipped: a drift alerted by an earlier run, still there; a blind watch beside it
  // is said too (it would hide another drift).
  if (decision === 'skipped') {
    const blind = blindTitle(result);
    if (!result.drift?.some((d) => d.drifted)) return blind ?? nothingChangedTitle(result);
    const still = '⚠️ Still drifting (alerted before)';
    return blind === undefined ? still : `${still}; ${lowerFirst(blind.replace(/^⚠️ /, ''))}`;
  }
  // Its PR merged: no longer one to merge, and not promoted yet.
  if (decision === 'ready' && result.releases.some(promotionPending)) return '⏳ Merged: promotion pending';
  if (decision !== 'failed') return DECISION_TITLE[decision];
  const failed = result.releases.filter((r) => r.status === 'failed');
  const drifted = result.drift?.some(alertsNow) === true;
  const title = failedTitle(failed, drifted);
  return (!drifted && mixedTitle(worstFirst(result.releases), title, releaseWord)) || title;
}

/** The heading of failed releases (or a drift): how they failed, one word for all. */
function failedTitle(failed: Release[], drifted: boolean): string {
  if (failed.length > 0 && !drifted && failed.every(refusedBeforeTraffic))
    return failed.every((r) => r.ending?.firstChangeRefused === 'access')
      ? NOT_DEPLOYED_ACCESS
      : '❌ Not deployed: the platform refused the change';
  if (failed.length > 0 && !drifted && failed.every(analysisInvalid)) return invalidTitle(failed);
  if (failed.length > 0 && !drifted && failed.every(couldNotRun))
    return `🔌 ${failed.some(rolledBack) ? 'Rolled back' : 'Failed'}: the analysis could not run`;
  if (failed.length > 0 && !drifted && failed.every((r) => couldNotRun(r) || analysisInvalid(r)))
    return '🔌 Rolled back without a verdict: an analysis could not run, another was invalid';
  if (failed.length > 0 && !drifted && failed.every((r) => rolledBack(r) && notEnoughData(r)))
    return `${DECISION_TITLE.failed}: not enough data to decide`;
  if (failed.some(rolledBack)) return DECISION_TITLE.failed;
  // Nothing was rolled back: candidates that never served callers, or a stable model's drift.
  return failed.length > 0 ? '❌ Failed' : '❌ Drift detected';
}

/**
 * `🔌 Analysis invalid: sample ratio mismatch (candidate 33% of requests, configured 10%)`: the
 * shares where one model's, the models where more.
 */
function invalidTitle(failed: Release[]): string {
  const [one] = failed;
  const split = one && failed.length === 1 ? splitMismatchOf(one) : undefined;
  const what = split ? sharesText(split) : [...new Set(failed.map((r) => r.model))].join(', ');
  return `🔌 Analysis invalid: sample ratio mismatch (${what})`;
}

/**
 * `candidate 33.3% of requests, configured 10%`: in the split check's own 3 significant figures
 * (stats/counts.ts percent), so that the heading, its line and its row say one share one way.
 */
function sharesText(split: SplitMismatch): string {
  const pct = percent;
  const of = split.units === undefined ? '' : ` of ${split.units}`;
  return `candidate ${pct(split.observed)}${of}, configured ${pct(split.configured)}`;
}

/**
 * Refused by a TargetAccessError: credentials refused (401/403) or nothing at the configured URL or
 * names (404), which the error does not tell apart; the release's own line says which.
 */
const NOT_DEPLOYED_ACCESS =
  "🔌 Not deployed: the platform refused model-gate's credentials, or has nothing at the target's URL or names";

/**
 * The heading of releases whose withdrawal did not take: a rollback's where any was to be rolled
 * back (a failed gate's candidate that served callers, a rollback by command), else a withdrawal's
 * (an abort, a PR closed or moved on); all live traffic where a candidate had it (tookAllTraffic).
 */
function incompleteTitle(stuck: Release[]): string {
  const what = stuck.some(rollbackRefused) ? 'Rollback' : 'Withdrawal';
  // Every change taken by the platform, none read back: not refused, only unconfirmed.
  const state = stuck.every((r) => r.ending?.withdrawFailed?.unconfirmed) ? 'unconfirmed' : 'incomplete';
  const rolling =
    stuck.length === 1 && state === 'incomplete' ? stuck[0] && rollingLeft(stuck[0]) : undefined;
  if (rolling) return `⚠️ ${what} ${state}: the candidate may still run ${rolling.on}`;
  if (!stuck.some(tookAllTraffic)) return `⚠️ ${what} ${state}: a candidate may still get live traffic`;
  return `⚠️ ${what} ${state}: ${stuck.length === 1 ? 'the' : 'a'} candidate may still take all live traffic`;
}

/** How a rollback by command begins the reason of the release it ends (commands.ts): `rolled back to v3 by …`, `a rollback to v1 by …` where v1 already served. */
const ROLLBACK_BY = /^(?:rolled back|a rollback) to \S+ by /;

/** Whether the change refused for a release whose withdrawal is pending was a rollback, not a withdrawal. */
function rollbackRefused(r: Release): boolean {
  if (r.status === 'failed') return !neverServedCallers(r);
  return ROLLBACK_BY.test(r.ending?.withdrawFailed?.why ?? r.reason ?? '');
}

/**
 * Whether the release's candidate had all live traffic when its withdrawal was asked for: its last
 * phase at 100% (a blue-green bake, a rolling release's last batch), running then or failed (a
 * ready candidate's passed phase is over: it waits idle).
 */
const tookAllTraffic = (r: Release): boolean => {
  const last = r.phases.at(-1);
  return atFullTraffic(last) && last?.outcome !== 'passed';
};

/**
 * `⚠️ Drift not checked: fraud's metrics source did not answer`: a watch whose source did not answer,
 * or whose query found no predictions (or only unusable counts), is blind, and a heading of
 * "nothing to release" would show it green tick after tick.
 */
function blindTitle(result: RunResult): string | undefined {
  const blind = (result.drift ?? []).flatMap((d) =>
    d.blind === undefined ? [] : [`${d.model}'s ${BLIND_WORDS[d.blind]}`],
  );
  return blind.length === 0 ? undefined : `⚠️ Drift not checked: ${blind.join(' and ')}`;
}

const BLIND_WORDS: Record<NonNullable<DriftReport['blind']>, string> = {
  metrics: 'metrics source did not answer',
  target: 'target could not be read',
  predictions: 'drift-watch query found no predictions',
  counts: 'prediction histograms could not be compared',
};

const lowerFirst = (text: string) => `${text.charAt(0).toLowerCase()}${text.slice(1)}`;

/**
 * The heading of a run with no release to decide on: from the kinds of this run's own lines, never
 * their words (free text), nor a sibling job's lines (a sibling's dry run is not this run's).
 */
function nothingChangedTitle(result: CommandRun): string {
  const own = result.skipped.filter((s) => !(SIBLING_LINE in s));
  if (own.some((s) => s.kind === 'dry-run')) return '🧪 Dry run: nothing changed';
  const queued = own.flatMap((s) => (s.kind === 'queued' ? [s.holder] : []));
  // A rollback to what already serves (a second click): its line says why.
  if (queued.length === 0 && result.command === 'rollback') return unchangedRollbackTitle(own);
  if (queued.length === 0 && result.command === 'abort') return `ℹ️ Abort${modelsOf(own)}: nothing to abort`;
  if (queued.length === 0) return DECISION_TITLE.skipped;
  const holders = [...new Set(queued)].map((pr) => (pr === undefined ? 'another release' : `PR #${pr}`));
  return `⏸️ Queued behind ${holders.join(' and ')}`;
}

/** `ℹ️ Rollback of fraud-detector: nothing changed`, the models from the run's own lines. */
function unchangedRollbackTitle(own: RunResult['skipped']): string {
  return `ℹ️ Rollback${modelsOf(own)}: nothing changed`;
}

/** ` of fraud-detector`, the models of a command's own lines; nothing where none is named. */
function modelsOf(own: RunResult['skipped']): string {
  const models = [...new Set(own.map((s) => s.model).filter((m) => m !== '*'))];
  return models.length === 0 ? '' : ` of ${models.join(' and ')}`;
}

/** The pre-deploy (offline) gate that failed a release before it deployed anything. */
const blockedBy = (r: Release): GateState | undefined =>
  r.status === 'failed' && r.phase < 0
    ? r.gates.find((g) => g.kind === 'offline' && g.verdict === 'fail')
    : undefined;

/** A pre-deploy (offline) gate failed: the candidate was never deployed. */
const notDeployed = (r: Release) => blockedBy(r) !== undefined;

/** Not deployed, and the gate's own words why. */
function notDeployedSentence(r: Release): string {
  const gate = blockedBy(r);
  return `${r.model} ${r.to} was not deployed: ${gate?.reason ?? `${gate?.name} failed`}`;
}

/** A failed release whose candidate served callers, and was rolled back. */
const rolledBack = (r: Release) =>
  r.status === 'failed' && !notDeployed(r) && !neverServedCallers(r) && !refusedBeforeTraffic(r);

/** What a model serves now and since when, for command status: a candidate taking all live traffic first. */
export function servingSentence(s: ServingState, kept = ''): string {
  const last = s.last && describeEntry(s.last);
  if (s.version === undefined)
    return `${s.model}: the target could not be read (${s.unread}); ${last ? `the ledger's last entry: ${last}` : 'the ledger has no promotion or rollback'}`;
  if (s.candidate) return `${s.model}: ${fullTrafficStatus(s.candidate, s.version, s.last)}`;
  if (!last) return `${s.model} serves ${s.version}; the ledger has no promotion or rollback of it`;
  if (s.last?.version !== s.version)
    return `${s.model} serves ${s.version}, yet the ledger's last entry is ${last}: changed outside model-gate?`;
  return `${s.model} serves ${s.version} since ${last}${kept}`;
}

const describeEntry = (e: LedgerEntry) =>
  `${e.kind === 'promotion' ? 'the promotion' : 'the rollback'} ${e.previous} → ${e.version} at ${utcMinute(e.at)}${e.pr === undefined ? '' : ` (PR #${e.pr})`}: ${e.summary}`;

/**
 * Whether `result` has the note a rollback leaves on the PR that brought in the version it
 * replaced (`v3 was rolled back to v2 by …`): that PR's comment says it once, by that note, which
 * its stored state keeps for later writes of the comment, not twice.
 */
const notedOn = (e: LedgerEntry, result: RunResult): boolean =>
  result.skipped.some(
    (s) =>
      s.kind === 'note' &&
      s.model === e.model &&
      s.why.startsWith(`${e.previous} was rolled back to ${e.version} `),
  );

export function rollbackSentence(e: LedgerEntry): string {
  return `${e.model} now serves ${e.version} (was ${e.previous}): ${e.summary}`;
}
