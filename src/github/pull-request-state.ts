import type { PullRequestState } from '../release/ports.js';
import { describeGitHubError, type GitHubClient } from './client.js';
import type { Repo } from './repo-files.js';

/**
 * PR `number` as GitHub has it now (one GET, the client's retries included): open, closed without
 * merging, or merged. GitHub's refusal becomes an Error saying so in one line (the status, the
 * request, GitHub's words), for a warning.
 */
export async function pullRequestState(
  client: GitHubClient,
  repo: Repo,
  number: number,
): Promise<PullRequestState> {
  try {
    const { data } = await client.rest.pulls.get({ ...repo, pull_number: number });
    if (data.state === 'open') return 'open';
    return data.merged_at ? 'merged' : 'closed';
  } catch (err) {
    throw new Error(describeGitHubError(err));
  }
}
