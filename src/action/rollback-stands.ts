import { formatDuration } from '../config/duration.js';
import { ModelGateError } from '../core/errors.js';
import { describeGitHubError, isGitHubError } from '../github/client.js';
import { RECENT_ROLLBACK_MS } from '../release/commands.js';
import { servesAfterEnd } from '../release/finish.js';
import type { RunResult } from '../release/pull-request.js';

/**
 * The run's error when GitHub refused its PR comments after a rollback that took and is recorded (a
 * Deployment): said first, as "model-gate stopped" alone reads as a failed rollback mid-incident.
 * The step still fails, so the missing permission gets fixed; `decision` stays `rolled-back`. It
 * says no re-run is needed: one without `to-version` changes nothing within RECENT_ROLLBACK_MS, and
 * after it rolls back again, one version further.
 * Undefined when there is no such rollback, or the error is no refusal by GitHub (a defect).
 */
export function rollbackStands(
  error: unknown,
  result: RunResult,
  command: string,
  toVersion: string | undefined,
  savedPrs: number[],
): ModelGateError | undefined {
  if ((command !== 'rollback' && command !== 'abort') || !isGitHubError(error)) return undefined;
  const rollbacks = result.rollbacks ?? [];
  const rolledBack = new Set(rollbacks.map((e) => e.model));
  // An abort, or a rollback to what serves, records no rollback: the candidates it withdrew.
  const withdrawn = result.releases.filter(
    (r) =>
      !rolledBack.has(r.model) && (r.status === 'aborted' || r.status === 'failed') && !r.withdrawPending,
  );
  if (rollbacks.length === 0 && withdrawn.length === 0) return undefined;
  const took = [
    ...rollbacks.map(
      (e) => `${e.model} now serves ${e.version}: the rollback from ${e.previous} took and is recorded`,
    ),
    // Its end is recorded in the PR's comment, which GitHub refused: the PR's next run finds the
    // candidate without traffic and ends it (withdrawal-comment-refused-still-withdraws.test.ts).
    ...withdrawn.map(
      (r) => `${r.model} ${r.to} is withdrawn and ${servesAfterEnd(r)} serves: the ${command} took`,
    ),
  ].join('; ');
  const notes = (result.notify ?? []).map((n) => n.pr);
  const url = (error as { request?: { url?: string } }).request?.url ?? '';
  // Which PR's comment GitHub refused, where its URL says (an update names only the comment).
  const issue = /\/issues\/(\d+)\//.exec(url)?.[1];
  const prs = issue === undefined ? [...new Set([...notes, ...savedPrs])] : [Number(issue)];
  const [first] = prs;
  const failed =
    first !== undefined && prs.length === 1
      ? `only the ${notes.includes(first) ? 'note' : 'comment'} on PR #${first} failed`
      : `only writing the comments of PR ${prs.map((n) => `#${n}`).join(', ')} failed`;
  const rerun =
    toVersion === undefined && rollbacks.length > 0
      ? `no re-run is needed: one within ${formatDuration(RECENT_ROLLBACK_MS)} changes nothing, and one later rolls back again, past ${rollbacks.map((e) => e.version).join(', ')}`
      : 'no re-run is needed';
  return new ModelGateError(
    `${took}; ${failed}: ${describeGitHubError(error)}; ${rerun}; the job summary has the run's report`,
  );
}
