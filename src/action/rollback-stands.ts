import { formatDuration } from '../config/duration.js';
import { ModelGateError } from '../core/errors.js';
import { describeGitHubError, isGitHubError } from '../github/client.js';
import { RECENT_ROLLBACK_MS } from '../release/commands.js';
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
  toVersion: string | undefined,
  savedPrs: number[],
): ModelGateError | undefined {
  const rollbacks = result.rollbacks ?? [];
  if (rollbacks.length === 0 || !isGitHubError(error)) return undefined;
  const took = rollbacks
    .map((e) => `${e.model} now serves ${e.version}: the rollback from ${e.previous} took and is recorded`)
    .join('; ');
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
    toVersion === undefined
      ? `no re-run is needed: one within ${formatDuration(RECENT_ROLLBACK_MS)} changes nothing, and one later rolls back again, past ${rollbacks.map((e) => e.version).join(', ')}`
      : 'no re-run is needed';
  return new ModelGateError(
    `${took}; ${failed}: ${describeGitHubError(error)}; ${rerun}; the job summary has the run's report`,
  );
}
