import type { Release } from '../release/types.js';
import type { GitHubClient } from './client.js';
import type { Repo } from './repo-files.js';

type State = 'pending' | 'success' | 'failure' | 'error';

const STATE: Partial<Record<Release['status'], State>> = {
  analysing: 'pending',
  ready: 'success',
  promoted: 'success',
  failed: 'failure',
  aborted: 'error',
};

/**
 * The commit status `model-gate/<model>` on the PR's head, so branch protection can
 * require a passing analysis: pending while analysing, success when ready, failure when
 * rolled back. Superseded heads are left alone: their PR has moved on.
 */
export async function setReleaseStatus(
  client: GitHubClient,
  repo: Repo,
  release: Release,
  targetUrl?: string,
): Promise<void> {
  const state = STATE[release.status];
  if (!state || !release.headSha) return;
  await client.rest.repos.createCommitStatus({
    ...repo,
    sha: release.headSha,
    state,
    context: `model-gate/${release.model}`,
    // The client redacts and cuts it to GitHub's 140 characters.
    description: `${release.to}: ${release.reason ?? release.status}`,
    ...(targetUrl ? { target_url: targetUrl } : {}),
  });
}
