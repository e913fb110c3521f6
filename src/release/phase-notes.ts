import type { GateConfig } from '../config/types.js';
import { TargetBusyError, TargetThrottledError } from '../targets/errors.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import { servesAfterEnd } from './finish.js';
import { RERUN_ONCE } from './metrics-preflight.js';
import type { Ending, GateState, PhaseRecord, Release, SplitMismatch } from './types.js';
import { mergedPrAdvice } from './withdrawn-meanwhile.js';

// Words the engine writes for endings the report words apart, and the structured fields it reads
// them back from (PhaseRecord.undecided, Release.ending): the words are masked when stored.

const UNDECIDED = 'ended without conclusive data for ';

/** The note of a phase that passed at its deadline with gates undecided (must-have-data: false). */
export const undecidedNote = (why: string) => `${UNDECIDED}${why}`;

export const endedUndecided = (p: PhaseRecord): boolean => p.outcome === 'passed' && p.undecided === true;

/**
 * Why a release that passed its `count` phases is ready, naming those that passed without
 * conclusive data (`phases`, closed): the reason (the commit status, the `models` output) must not
 * read as a clean pass where must-have-data: false let a phase through undecided.
 */
export function readyReason(to: string, phases: PhaseRecord[], count: number, idle: string): string {
  return `${passedText(to, phases, count)}; ${idle} until the PR is merged`;
}

/**
 * Why a release that passed after its PR merged (on-merge: analyze-then-promote) is ready: it keeps
 * its last phase's traffic (`keeps`) until its promotion, which follows (tick.ts passedAll).
 */
export const mergedReadyReason = (to: string, phases: PhaseRecord[], count: number, keeps: string): string =>
  `${passedText(to, phases, count)}; it keeps ${keeps} until it is promoted`;

function passedText(to: string, phases: PhaseRecord[], count: number): string {
  const undecided = phases.filter(endedUndecided).map((p) => p.name);
  const passed = count === 1 ? 'its one phase' : count === 2 ? 'both phases' : `all ${count} phases`;
  const without =
    undecided.length === 0
      ? ''
      : `${count === 1 ? '' : `, ${undecided.join(', ')}`} without conclusive data (must-have-data: false)`;
  return `${to} passed ${passed}${without}`;
}

const PLATFORM_FAILED = 'the serving platform failed: ';

/**
 * What analyses a head again once its analysis failed, which is not run again on the same head
 * (pull-request.ts endedNote): a new commit, pushed to the PR, or for `model-gate run` on the
 * working tree (one head whatever is edited) committed and named with --head. `when`: ` once ...`.
 */
export const newHeadAdvice = (headSha: string | undefined, when = ''): string =>
  headSha === WORKING_TREE
    ? `commit your change and run again with --head HEAD${when} to analyse that commit`
    : `push a new commit${when} to analyse again`;

/**
 * A commit status's words (140 characters) for what a merged PR's failed candidate needs, where
 * mergedPrAdvice does not fit: not promoted, and a new PR, not a commit, analyses it again.
 */
export const MERGED_BRIEF = 'not promoted; the PR is merged: a new PR analyses it again';

/**
 * How an A/B capped undecided runs again (planned-sample.ts cappedReason), said after what to
 * change: a new commit, which only an open PR takes.
 */
export const CAP_RUN_AGAIN = ' and push a commit to run it again';

/**
 * `why`, said while the PR was open, as a merged PR's note says it: less its advice to the open PR
 * (push a new commit, close and reopen it, re-run the job once the metrics source answers), which a
 * merged PR cannot follow. What such advice said to change first stays (an A/B capped undecided:
 * raise step-duration), less the commit after it.
 */
export const withoutOpenPrAdvice = (why: string): string =>
  withoutRerun(why)
    .split('; ')
    .map((clause) => (clause.endsWith(CAP_RUN_AGAIN) ? clause.slice(0, -CAP_RUN_AGAIN.length) : clause))
    .filter((clause) => !/push a new commit|reopen the PR/.test(clause))
    .join('; ');

/**
 * Less a metrics check's `; re-run the job once datadog answers (after 21:07 UTC)`, keeping what
 * follows it (`: gate errors: ...`): the source and the reset time hold no `;`, nor `: `.
 */
const withoutRerun = (why: string): string => {
  const at = why.indexOf(`; ${RERUN_ONCE}`);
  if (at < 0) return why;
  const rest = why.slice(at + 2);
  const end = rest.search(/; |: /);
  return withoutRerun(why.slice(0, at) + (end < 0 ? '' : rest.slice(end)));
};

/**
 * A busy, unsettled or throttling platform's closing advice to try the change again, as
 * model-gate words it (targets/errors.ts TargetBusyError, TargetThrottledError), with what may
 * follow it (`, or raise the target's settle-timeout ...`): at the end of its message only, after
 * the platform's own words.
 */
const TRY_AGAIN =
  /; (nothing was changed, )?try again (later|once the update is done)(?:; try again later)?((?:, or raise the target's settle-timeout[^;]*)?)$/;

/**
 * A target's error as said of a failed analysis of `headSha`: a re-run of the job leaves it failed,
 * so a busy platform's closing "try again later" becomes what does analyse again. Any other error
 * is left as it is: its words may be the service's own (`traffic changes are frozen ...; try
 * again later`), which model-gate does not rewrite.
 */
export function failedAnalysisAdvice(err: Error, headSha: string | undefined): string {
  if (!(err instanceof TargetBusyError || err instanceof TargetThrottledError)) return err.message;
  return err.message.replace(TRY_AGAIN, (_all, unchanged = '', when: string, more: string) => {
    const once = when === 'later' ? '' : ` ${when}`;
    // A raised settle-timeout is a config change: it comes with that commit, not instead of it.
    return `; ${unchanged}${newHeadAdvice(headSha, once)}${more.replace(', or raise', ', raising')}`;
  });
}

/** Why a release of `headSha` failed when the platform refused or reverted a traffic change. */
export const platformFailure = (err: Error, headSha: string | undefined) =>
  `${PLATFORM_FAILED}${failedAnalysisAdvice(err, headSha)}`;

/**
 * A failed release whose candidate no caller got an answer from: every phase it reached gave it
 * 0% of live traffic (a smoke test on green, a shadow run), and no traffic change that may have
 * half taken (a failed switch to green) ended it. Live traffic found off record has its own phase
 * row, at the share found (tick.ts takenBackToPhase): such a candidate served callers.
 */
export const neverServedCallers = (r: Release): boolean =>
  r.phases.length > 0 && r.phases.every((p) => p.weight === 0) && r.ending?.platformFailed !== true;

/**
 * A failed release whose first traffic change the platform refused, the candidate found without
 * live traffic after it (refused-first-change.ts): it was never deployed, nothing was rolled back.
 */
export const refusedBeforeTraffic = (r: Release): boolean =>
  r.status === 'failed' && r.ending?.firstChangeRefused !== undefined;

/**
 * What fixes a release whose first traffic change was refused, in the platform's words before it
 * (the reason): the same request gets the same answer, so a re-run alone changes nothing. A
 * refused request (an unknown version) is the PR's to change; refused access (credentials, a
 * name in the config) is fixed where the platform says, and a new head analyses again, since a
 * failed head is not analysed again; after its merge went on record, a new PR (mergedAdvice).
 */
export function refusedChangeAdvice(r: Release): string {
  const merged = mergedAdvice(r);
  if (r.ending?.firstChangeRefused === 'request') {
    const fix =
      'the same request gets the same answer: correct the version (or the release config) the platform refused';
    return merged ? `${fix}; ${merged}` : `${fix}, then ${newHeadAdvice(r.headSha)}`;
  }
  const fix = "a re-run gets the same answer: fix the credentials or names the platform's answer points to";
  if (merged) return `${fix}; ${merged}`;
  const commit =
    r.headSha === WORKING_TREE
      ? newHeadAdvice(r.headSha)
      : newHeadAdvice(r.headSha, ' (an empty one will do)');
  return `${fix}, then ${commit}`;
}

/**
 * What analyses the version of `r`, failed after its merge went on record (analyze-then-promote: the
 * merge job's analysis, or its merge job ended it unpromoted: merge-job.ts endedOnMerge), again: no
 * new commit or reopen, a new PR (mergedPrAdvice). Undefined while its PR is open, or merged with no
 * run of its merge job since: there the record cannot tell.
 */
const mergedAdvice = (r: Release): string | undefined =>
  r.mergedAt === undefined ? undefined : mergedPrAdvice(r.to, servesAfterEnd(r), 'its version');

/**
 * The phase row of live traffic a run found that the record did not show (`found`: `100% of live
 * traffic`), taken back to the running phase's (`back`) before it runs again.
 */
export const offRecordNote = (to: string, found: string, back: string, phase: string) =>
  `${to} had ${found}, which the record did not show (a run lost after its traffic change, or a change by hand): taken back to ${back} before ${phase} runs again`;

/** The running phase's row, closed where live traffic was found off record after it began. */
export const OFF_RECORD_END = 'its end is not on record: live traffic was found after it (next row)';

const SERVES_BY_ROLLBACK = ' now serves as stable: a rollback ';

/**
 * Why a release ended when a rollback went back to its own candidate, a version that served
 * before (a revert PR in flight): the candidate serves now, it was not withdrawn.
 */
export const rolledBackToCandidate = (r: Release, by: string) =>
  `${r.to}${SERVES_BY_ROLLBACK}${by} went back to it; ${r.pr === undefined ? 'its' : `PR #${r.pr}'s`} analysis of it stopped`;

export const endedByRollbackToIt = (r: Release): boolean =>
  r.status === 'aborted' && r.ending?.rollbackToCandidate === true;

/**
 * The ending of a look whose split check found a sample ratio mismatch (tick.ts failureReason makes
 * it the reason): marked so that the report says the analysis is invalid, not that the candidate
 * failed. Not a split check failed on query errors or inconclusive looks: that is missing data.
 */
export function splitMismatchEnding(gates: GateState[], configs: readonly GateConfig[]): Ending {
  const found = mismatchLook(gates);
  if (!found) return {};
  const config = configs.find((c) => c.name === found.gate.name);
  const units = config?.kind === 'srm' && config.units !== undefined ? 'users' : 'requests';
  return { splitMismatch: { ...found.shares, units } };
}

/** The failed split check whose last look found the mismatch, and the shares it measured (ratio-gate.ts measureSrm). */
function mismatchLook(gates: GateState[]) {
  for (const gate of gates) {
    const last = gate.last;
    if (gate.kind !== 'srm' || gate.verdict !== 'fail' || last?.verdict !== 'fail') continue;
    if (last.canary === undefined || last.baseline === undefined) continue;
    return { gate, shares: { observed: last.canary, configured: last.baseline } };
  }
  return undefined;
}

/**
 * A failed release's sample ratio mismatch: its ending's mark, or, for a record without one (stored
 * before it), its failed split check's look, what it counted unknown.
 */
export function splitMismatchOf(r: Release): SplitMismatch | undefined {
  if (r.status !== 'failed' || r.ending?.platformFailed) return undefined;
  return r.ending?.splitMismatch ?? mismatchLook(r.gates)?.shares;
}

/**
 * What to do about a sample ratio mismatch: find why the split served is not the configured one,
 * then analyse a new head, as a failed one is not analysed again (a re-run or a reopen does not);
 * after its merge went on record, a new PR (mergedAdvice).
 */
export function splitMismatchAdvice(r: Release): string {
  const check =
    'check the traffic split the platform serves and how it routes (sticky keys, a routing header), and what the srm gate counts for each arm (its units or the requests query)';
  const merged = mergedAdvice(r);
  if (merged) return `${check}; ${merged}`;
  return `${check}; then ${newHeadAdvice(r.headSha, ' (an empty one will do)')}: a re-run or reopening the PR does not analyse a failed commit again`;
}
