import { InputError } from '../core/errors.js';
import { endedByRollbackToIt } from './phase-notes.js';
import type { Release } from './types.js';
import { rerunMergeJob } from './withdrawn-meanwhile.js';

/**
 * Why the promote command has nothing to promote, and what would serve the version instead: it
 * takes a release whose analysis passed (ready) only. A release whose withdrawal is pending holds
 * the model's slot, so no other release can be ready meanwhile: the rollback command settles it.
 * `local`: run by `model-gate run`, where a PR's events are its own subcommands.
 */
export function notReady(model: string, release: Release | undefined, local: boolean): InputError {
  const last = release ? `${release.to} ${release.status}` : 'none';
  const head = `promote ${model}: no release is ready (last: ${last}`;
  if (release?.withdrawPending) {
    const then = local
      ? `model-gate run tick tries again to withdraw it, or model-gate run abort --model ${model} withdraws it now, or model-gate run rollback --model ${model} serves another version instead`
      : "a re-run of its PR's job or the next schedule tick tries again to withdraw it, or use the abort command to withdraw it now, or the rollback command to serve another version instead";
    return new InputError(
      `${head}, its withdrawal pending: ${release.to} may still get live traffic); ${then}`,
    );
  }
  return new InputError(`${head}); ${notReadyAdvice(model, release, local)}`);
}

/** What to do about `release` (the model's last) instead of promoting it, for notReady. */
function notReadyAdvice(model: string, release: Release | undefined, local: boolean): string {
  const passes = 'the promote command takes only a release whose analysis passed';
  if (!release)
    return `${passes}, and none is on record for ${model}: open a PR that changes its version file, whose analysis releases the version through the gates`;
  const { to } = release;
  const pr = release.pr === undefined ? 'its PR' : `PR #${release.pr}`;
  switch (release.status) {
    case 'analysing':
      // A merged PR's analysis (on-merge: analyze-then-promote) is promoted by the tick that passes it.
      if (release.mergedAt !== undefined)
        return local
          ? `${pr} is merged: model-gate run tick goes on with ${to}'s analysis (or ${runMerge(release)} again), and the run that passes it promotes it; to stop it instead, use model-gate run abort --model ${model}`
          : `${pr} is merged: the schedule ticks go on with ${to}'s analysis (or a re-run of its merge job), and the one that passes it promotes it; to stop it instead, use the abort command`;
      return local
        ? `wait for ${to}'s analysis to pass (model-gate run tick goes on with it), then run ${runMerge(release)} or model-gate run promote --model ${model}; to stop it instead, use model-gate run abort --model ${model}, which withdraws ${to}`
        : `wait for ${to}'s analysis to pass (${pr}'s job, a re-run of it, or the next schedule tick goes on with it), then merge ${pr} or run the promote command again; to stop it instead, use the abort command, which withdraws ${to}`;
    case 'failed': {
      // A merged PR takes no more pushes: a new PR brings the fix.
      const fix =
        release.mergedAt !== undefined
          ? `${pr} is merged, so open a new PR that declares a fixed version`
          : local
            ? 'commit a fix and run again with --head HEAD'
            : `push a fix to ${pr}`;
      // `model-gate run` writes no PR comment, and its status lists no release that ended withdrawn:
      // the report the analysing run printed says it.
      const where = local
        ? 'the report the model-gate run that analysed it printed says'
        : `${pr}'s comment says`;
      return `${to} failed its analysis and is not promoted, nor analysed again on the same commit (${where} which gate failed): ${fix}, which is analysed afresh`;
    }
    case 'aborted':
      if (endedByRollbackToIt(release))
        return `${to} serves already (${release.reason}): there is nothing to promote`;
      if (release.mergedAt !== undefined)
        return `${to} was withdrawn before its analysis decided: ${local ? `run ${runMerge(release)} to analyse it again` : rerunMergeJob(release)}`;
      return `${to} was withdrawn before its analysis decided (${release.reason}): to analyse it again, ${local ? `run model-gate run reopen --pr ${release.pr ?? 1}` : `close and reopen ${pr}, or push a new commit to it`}; once that analysis passes, merge ${pr} or run the promote command`;
    case 'superseded':
      return `a newer head of ${pr} replaced ${to}'s analysis: wait for that head's analysis to pass, then merge ${pr} or run the promote command again`;
    case 'promoted':
      return `${to} was promoted already: there is nothing to promote (the status command says what serves now); to serve another version, use the rollback command or open a PR that changes the version`;
    default:
      return passes;
  }
}

/** `model-gate run`'s merge of `release`'s PR: what its merge job is on the command line. */
const runMerge = (release: Release): string => `model-gate run merge --pr ${release.pr ?? 1}`;
