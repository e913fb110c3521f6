import type { Config } from '../config/types.js';
import { describeGitHubError, isGitHubError, retryDelayOf } from '../github/client.js';
import type { Ports } from '../release/ports.js';
import { type PullRequestEvent, type RunResult, sinceBranchPoint } from '../release/pull-request.js';
import { findChangedModels } from '../version/changed-models.js';
import type { ActionEvent } from './event.js';

/** Why a fork PR does not deploy, in its comment and the job summary. */
export const FORK_NOT_ALLOWED =
  'this pull request comes from a fork, and the config does not allow deploying fork code (allow-forks: true)';

/**
 * An open fork PR's run where the config does not allow deploying fork code: the note saying so
 * only when the PR changes a model's version; one that changes none is quiet, as any such PR is.
 * The changes are read as a release reads them (handlePullRequest): the PR's file list and the
 * version files at its branch point and head through the reader (the API), parsed as data. The
 * config is the run's own (the base's on pull_request_target): the fork's is never read, nor run.
 */
export async function forkNotDeployed(
  config: Config,
  given: PullRequestEvent,
  ports: Ports,
  only?: string,
): Promise<RunResult> {
  const pr = await sinceBranchPoint(given, ports.reader);
  const touched = await ports.touchedFiles?.(pr.number);
  const changed = await findChangedModels(config, ports.reader, pr.baseSha, pr.headSha, only, touched);
  if (changed.length === 0) return { releases: [], skipped: [] };
  return { releases: [], skipped: [{ model: '*', why: FORK_NOT_ALLOWED, kind: 'fork' }] };
}

/**
 * A fork PR's run on `pull_request`: GitHub gives it a read-only token (unless a private
 * repository's settings send write tokens to fork workflows), so its writes may be refused.
 */
export const forkOnPullRequest = (event: ActionEvent): boolean =>
  event.kind === 'pull_request' && event.fromFork && event.trigger === 'pull_request';

/** GitHub refused a write for want of permission (403), not for a rate limit that passes. */
export function isRefusedWrite(error: unknown): boolean {
  const e = error as { status?: number; request?: { method?: string } };
  return (
    isGitHubError(error) &&
    e.status === 403 &&
    e.request?.method !== 'GET' &&
    retryDelayOf(error, 0, Date.now()) === undefined
  );
}

const USE_TARGET =
  'run model-gate on pull_request_target instead, whose token can write (with care: check out the base branch only, never the fork head, in a job with a write token or secrets)';

/** The notice of a fork PR that does not deploy and whose comment GitHub refused. */
export function forkNoticeWithoutComment(error: unknown): string {
  return `${FORK_NOT_ALLOWED}. No comment says so on the PR: a fork's pull_request run gets a read-only token (${describeGitHubError(error, { permissionHint: false })}). For the comment, ${USE_TARGET}; to deploy fork PRs, also set allow-forks: true.`;
}

/**
 * The error of a fork PR the config allows to deploy, on a run whose token cannot write: the
 * release is recorded (the canary claim, the comment) before anything deploys, so it stops there.
 */
export function forkTokenCannotWrite(error: unknown): string {
  return `model-gate cannot release this fork PR: on pull_request GitHub gives a fork's run a read-only token, so the release cannot be recorded and nothing was deployed (${describeGitHubError(error, { permissionHint: false })}). allow-forks: true needs a token that can write: ${USE_TARGET}; or set allow-forks: false to skip fork PRs with a note.`;
}
