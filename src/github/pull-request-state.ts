import type { PullRequestState } from '../release/ports.js';
import type { PullRequestNow } from '../release/stale-event.js';
import { describeGitHubError, type GitHubClient } from './client.js';
import type { Repo } from './repo-files.js';

/**
 * PR `number` as GitHub has it now (one GET, the client's retries included): open, closed without
 * merging, or merged, and its head commit (a tick checks it is still the one its release analysed).
 * GitHub's refusal becomes an Error saying so in one line (the status, the request, GitHub's words),
 * for a warning.
 */
export async function pullRequestState(
  client: GitHubClient,
  repo: Repo,
  number: number,
): Promise<PullRequestState> {
  return pullRequestNow(client, repo, number);
}

/** PR `number` as GitHub has it now, its head commit always known: the same one GET as pullRequestState. */
export async function pullRequestNow(
  client: GitHubClient,
  repo: Repo,
  number: number,
): Promise<PullRequestNow> {
  try {
    const { data } = await client.rest.pulls.get({ ...repo, pull_number: number });
    const state = data.state === 'open' ? 'open' : data.merged_at ? 'merged' : 'closed';
    return { state, headSha: data.head.sha };
  } catch (err) {
    throw new Error(describeGitHubError(err));
  }
}
